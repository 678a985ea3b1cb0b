/**
 * The status badge: a preview, the Markdown to paste into a README (with a copy button,
 * web/client/copy-buttons.ts), and the switch that makes the project private — then its
 * badge shows only to signed-in users, and as "not found" everywhere else (GitHub too).
 */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { projectPath } from '../../../common/urls.ts';
import { ApiForm } from '../api-form.tsx';

/** A URL part with everything Markdown or a URL could misread encoded, parentheses too. */
const urlPart = (text: string) => encodeURIComponent(text).replace(/[()!*']/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `/badge/<name>.svg?branch=<branch>`: the path of a branch's badge. */
export const badgePath = (projectName: string, branch: string) => `/badge/${urlPart(projectName)}.svg?branch=${urlPart(branch)}`;

export function badgeMarkdown(publicUrl: string, project: Pick<ProjectView, 'id' | 'name' | 'defaultBranch'>): string {
  const base = publicUrl.replace(/\/$/, '');
  return `[![build](${base}${badgePath(project.name, project.defaultBranch)})](${base}${projectPath(project.id)})`;
}

export function BadgeSection({ project, publicUrl }: { project: ProjectView; publicUrl: string }) {
  const markdown = badgeMarkdown(publicUrl, project);
  return (
    <section class="card" aria-labelledby="badge-title" id="badge-section">
      <h2 id="badge-title" class="h3">Status badge</h2>
      <p>
        <img src={badgePath(project.name, project.defaultBranch)} alt={`Build status of ${project.defaultBranch}`} height={20} />
        {' '}<span class="muted small">the latest finished build of <code>{project.defaultBranch}</code> (pull requests do not count)</span>
      </p>
      <p id="badge-markdown-label"><strong>Markdown for a README</strong> <span class="hint-inline">— change <code>branch=</code> for another branch</span></p>
      <p class="token-line"><code id="badge-markdown" aria-labelledby="badge-markdown-label">{markdown}</code>{' '}
        <button type="button" class="small" data-copy="badge-markdown">Copy</button> <span class="muted small" data-copy-status="badge-markdown" role="status"></span>
      </p>
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} submit="Save" submitClass="" label="Badge visibility">
        <label class="check"><input type="checkbox" name="private" data-kind="boolean" checked={project.private} aria-describedby="badge-private-hint" /> Private</label>
        <p class="hint" id="badge-private-hint">The badge needs a signed-in user or an API token; to everyone else (and on GitHub) it answers “not found”, as for a project that does not exist.</p>
      </ApiForm>
    </section>
  );
}
