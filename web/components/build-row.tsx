/** One build in a project's list; also served alone so live pages can swap a row in place. */
import type { BuildSummary } from '../../server/db/build-lists.ts';
import { buildPath, runPath } from '../../common/urls.ts';
import { matrixJobName } from '../../common/job-name.ts';
import { CommitLabel, RefLabel, firstLine, triggerText } from './build-labels.tsx';
import { StatusBadge } from './status-badge.tsx';
import { BuildDuration, RelTime } from './times.tsx';

export function BuildRow({ build }: { build: BuildSummary }) {
  const message = firstLine(build.trigger.message);
  const name = matrixJobName(build.matrix);
  return (
    <tr data-job-id={build.id} data-status={build.status}>
      <td><StatusBadge status={build.status} /></td>
      <td>
        <a href={buildPath(build.id)} aria-label={`Build ${build.number}`}>#{build.number}</a>
        {name ? <span class="job-name">{name}</span> : ''}
        {build.type !== 'TEST' ? <span class="tag">{build.type === 'DEPLOY' ? 'deploy' : 'test + deploy'}</span> : ''}
        {build.runId ? <a class="tag" href={runPath(build.runId)} title="The run this build belongs to">run</a> : ''}
      </td>
      <td><RefLabel ref={build.ref} /></td>
      <td class="commit-cell"><CommitLabel ref={build.ref} trigger={build.trigger} />{message ? <span class="muted"> {message}</span> : ''}</td>
      <td>{triggerText(build.trigger)}</td>
      <td><BuildDuration startedAt={build.startedAt} finishedAt={build.finishedAt} /></td>
      <td><RelTime at={build.createdAt} /></td>
    </tr>
  );
}
