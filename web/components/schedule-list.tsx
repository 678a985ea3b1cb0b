/**
 * A project's schedules on its page: name, cron expression with its time zone, branch,
 * type, whether enabled, when it fires next (in the schedule's zone; the exact instant on
 * hover), and *Run now* (forms.js) for anyone who may run builds. Admins change them in
 * the settings.
 */
import type { Project } from '../../server/db/projects.ts';
import type { Schedule } from '../../server/schedules/schedule.ts';
import { scheduleView } from '../../server/schedules/schedule-view.ts';
import { formatTimestamp } from '../format.ts';
import { ApiForm } from './api-form.tsx';

/** "2026-12-01 03:00:00 CET": a time as the schedule's zone reads it. */
export function formatInZone(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${part('timeZoneName')}`;
}

/** "in 5 min", "in 3 h", "in 2 days". */
function formatUntil(iso: string, now: number): string {
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `in ${h} h`;
  return `in ${Math.round(h / 24)} days`;
}

export function ScheduleList({ project, canEdit }: { project: Pick<Project, 'id' | 'defaultBranch' | 'schedules'>; canEdit: boolean }) {
  if (project.schedules.length === 0) return '';
  const now = new Date();
  const views = (project.schedules as Schedule[]).map((s) => scheduleView(s, now));
  return (
    <section class="card" aria-labelledby="schedules-title" id="schedules">
      <h2 id="schedules-title" class="h3">Schedules</h2>
      <div class="table-wrap">
        <table class="list compact">
          <caption class="sr-only">Schedules of this project</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">When</th><th scope="col">Branch</th><th scope="col">Type</th><th scope="col">Next firing</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {views.map((s) => (
              <tr>
                <td>{s.name}{s.enabled ? '' : <span class="tag">disabled</span>}</td>
                <td><code>{s.cron}</code> <span class="muted small">{s.timezone}</span></td>
                <td><span class="branch">{s.branch ?? project.defaultBranch}</span>{s.branch ? '' : <span class="muted small"> (default)</span>}</td>
                <td>{s.type === 'TEST_AND_DEPLOY' ? 'tests and deploy' : 'tests'}</td>
                <td>{s.nextAt
                  ? <><time datetime={s.nextAt} title={formatTimestamp(s.nextAt)}>{formatInZone(s.nextAt, s.timezone)}</time> <span class="muted small">{formatUntil(s.nextAt, now.getTime())}</span></>
                  : <span class="muted">{s.enabled ? 'never' : '—'}</span>}</td>
                <td>
                  <ApiForm method="POST" url={`/api/projects/${project.id}/schedules/${encodeURIComponent(s.name)}/run`} redirect="/builds/{id}"
                    class="inline" submit="Run now" submitClass="small" label={`Run schedule ${s.name} now`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit ? <p class="hint"><a href={`/projects/${project.id}/settings#schedules-section`}>Change the schedules</a> in the settings.</p> : ''}
    </section>
  );
}
