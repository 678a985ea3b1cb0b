/**
 * A run in a project's list of builds: one row with the run's status, its counts and a link
 * to the run page, then its builds, indented and folded away until its toggle opens them
 * (run-rows.ts in the browser). Served alone too (`/runs/:id/rows`) so a live page can swap
 * the whole group when one of its builds changes.
 */
import type { RunSummary } from '../../common/run-summary.ts';
import { buildPath, runPath } from '../../common/urls.ts';
import type { BuildSummary } from '../../server/db/build-lists.ts';
import { CommitLabel, RefLabel, firstLine, triggerText } from './build-labels.tsx';
import { StatusBadge } from './status-badge.tsx';
import { BuildDuration, RelTime } from './times.tsx';

const date = (iso: string | null) => (iso ? new Date(iso) : null);

/** A run as its project's list shows it: its summary, and its first build for ref, commit and trigger. */
export interface RunRowsData {
  run: RunSummary;
  lead: BuildSummary;
}

/** "3 passed, 1 running": the counts that are not zero, in the order of a build's life. */
export function runCountsText(counts: RunSummary['counts']): string {
  const words: [keyof RunSummary['counts'], string][] = [
    ['running', 'running'], ['queued', 'queued'], ['passed', 'passed'], ['failed', 'failed'],
    ['timed_out', 'timed out'], ['errored', 'errored'], ['cancelled', 'cancelled'],
  ];
  return words.filter(([k]) => counts[k] > 0).map(([k, w]) => `${counts[k]} ${w}`).join(', ');
}

export function RunRows({ run, lead, expanded = false }: RunRowsData & { expanded?: boolean }) {
  const message = firstLine(lead.trigger.message);
  const n = run.jobs.length;
  return (
    <>
      <tr class="run-row" data-run-id={run.id} data-status={run.status}>
        <td><StatusBadge status={run.status} /></td>
        <td>
          <a href={runPath(run.id)}>Run</a>{' '}
          <button type="button" class="run-toggle" data-run-toggle={run.id} aria-expanded={expanded ? 'true' : 'false'}
            title={runCountsText(run.counts)}>{n} {n === 1 ? 'build' : 'builds'}</button>
          {run.type !== 'TEST' ? <span class="tag">{run.type === 'DEPLOY' ? 'deploy' : 'test + deploy'}</span> : ''}
        </td>
        <td><RefLabel ref={lead.ref} /></td>
        <td class="commit-cell"><CommitLabel ref={run.ref.sha ? run.ref : lead.ref} trigger={lead.trigger} />{message ? <span class="muted"> {message}</span> : ''}</td>
        <td>{triggerText(lead.trigger)}</td>
        <td><BuildDuration startedAt={date(run.startedAt)} finishedAt={date(run.finishedAt)} /></td>
        <td><RelTime at={run.submittedAt} /></td>
      </tr>
      {run.jobs.map((j) => (
        <tr class="run-member" data-run-member={run.id} data-member-id={j.id} data-status={j.status} hidden={!expanded}>
          <td><StatusBadge status={j.status} /></td>
          <td class="run-member-build" colspan={4}>
            <a href={buildPath(j.id)} aria-label={`Build ${j.number}`}>#{j.number}</a>
            {j.name ? <span class="job-name">{j.name}</span> : ''}
            {j.message && j.status !== 'passed' ? <span class="muted small"> {firstLine(j.message)}</span> : ''}
          </td>
          <td><BuildDuration startedAt={date(j.startedAt)} finishedAt={date(j.finishedAt)} /></td>
          <td></td>
        </tr>
      ))}
    </>
  );
}
