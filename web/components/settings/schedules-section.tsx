/**
 * Timed builds: the project's schedules as a list of sub-forms (name, cron expression,
 * time zone, branch, type, parameters, enabled), with *Add schedule* and *Remove*
 * (web/client/array-fields.ts). Saved as a whole with `PATCH {"schedules": […]}`; an
 * error names the schedule and its field, which takes the focus.
 */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import type { Schedule } from '../../../server/schedules/schedule.ts';
import { queenTimeZone } from '../../../server/schedules/cron-times.ts';
import { ApiForm } from '../api-form.tsx';

function ScheduleItem({ schedule, id, defaultBranch, zone }: { schedule: Partial<Schedule>; id: string; defaultBranch: string; zone: string }) {
  const params = Object.entries(schedule.params ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
  return (
    <li class="array-item" data-fields-scope="">
      <div class="field-row">
        <div>
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} name="name" value={schedule.name ?? ''} required maxlength={100} pattern="[\w.\- ]+" placeholder="e.g. nightly" autocomplete="off" spellcheck={false} />
        </div>
        <div>
          <label for={`${id}-cron`}>Cron expression</label>
          <input id={`${id}-cron`} name="cron" value={schedule.cron ?? ''} required maxlength={200} placeholder="0 3 * * *" autocomplete="off" spellcheck={false} aria-describedby="schedules-cron-hint" />
        </div>
        <div>
          <label for={`${id}-zone`}>Time zone</label>
          <input id={`${id}-zone`} name="timezone" value={schedule.timezone ?? ''} maxlength={100} placeholder={`${zone} (the queen's)`} autocomplete="off" spellcheck={false} />
        </div>
      </div>
      <div class="field-row">
        <div>
          <label for={`${id}-branch`}>Branch</label>
          <input id={`${id}-branch`} name="branch" value={schedule.branch ?? ''} maxlength={255} placeholder={`${defaultBranch} (default branch)`} autocomplete="off" spellcheck={false} />
        </div>
        <div>
          <label for={`${id}-type`}>Build</label>
          <select id={`${id}-type`} name="type">
            <option value="TEST" selected={schedule.type !== 'TEST_AND_DEPLOY'}>tests</option>
            <option value="TEST_AND_DEPLOY" selected={schedule.type === 'TEST_AND_DEPLOY'}>tests and deploy</option>
          </select>
        </div>
        <div>
          <label for={`${id}-params`}>Parameters <span class="hint-inline">— NAME=value per line</span></label>
          <textarea id={`${id}-params`} name="params" data-kind="env" rows={2} spellcheck={false}>{params}</textarea>
        </div>
      </div>
      <label class="check"><input type="checkbox" name="enabled" data-kind="boolean" checked={schedule.enabled !== false} /> Enabled</label>
      <button type="button" class="small danger" data-array-remove="">Remove this schedule</button>
    </li>
  );
}

export function SchedulesSection({ project }: { project: ProjectView }) {
  const zone = queenTimeZone();
  const schedules = project.schedules as Schedule[];
  return (
    <section class="card" aria-labelledby="schedules-title" id="schedules-section">
      <h2 id="schedules-title" class="h3">Schedules</h2>
      <p class="hint" id="schedules-cron-hint">
        Builds started at set times. Cron: five fields, <code>minute hour day month weekday</code> (<code>0 3 * * 1-5</code>: 03:00 on weekdays),
        or six with seconds first (<code>*/30 * * * * *</code>); also <code>@hourly</code>, <code>@daily</code>, <code>@weekly</code>.
        Times are read in the schedule's time zone (an IANA name such as <code>Europe/Berlin</code>), else the queen's ({zone}).
        A due time missed while the queen was down fires once when it is back; a disabled schedule never fires.
      </p>
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} submit="Save schedules" label="Schedules">
        <fieldset class="schema-objects" data-array-list="schedules" data-empty="[]">
          <legend class="sr-only">Schedules</legend>
          <ol class="array-items" data-array-items="">
            {schedules.map((s, i) => <ScheduleItem schedule={s} id={`schedule-${i}`} defaultBranch={project.defaultBranch} zone={zone} />)}
          </ol>
          <button type="button" class="small" data-array-add="">Add schedule</button>
          <template data-array-template="">
            <ScheduleItem schedule={{}} id="schedule-__I__" defaultBranch={project.defaultBranch} zone={zone} />
          </template>
        </fieldset>
      </ApiForm>
    </section>
  );
}
