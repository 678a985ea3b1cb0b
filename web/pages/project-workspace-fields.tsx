/** How drones prepare the project's builds' directory: a kept work tree or a new clone, and what a kept tree keeps. */
import type { ProjectView } from '../../server/routes/json-views.ts';

export function WorkspaceFields({ project }: { project: Pick<ProjectView, 'workspace' | 'workspaceCaches'> }) {
  return (
    <fieldset>
      <legend>Workspace</legend>
      <label for="f-workspace">Each build starts from</label>
      <select id="f-workspace" name="workspace" aria-describedby="f-workspace-hint">
        <option value="incremental" selected={project.workspace === 'incremental'}>the drone's kept tree, brought to the commit (incremental)</option>
        <option value="fresh" selected={project.workspace === 'fresh'}>a new clone (fresh)</option>
      </select>
      <p class="hint" id="f-workspace-hint">Either way a build sees only its commit's files; incremental skips the clone and keeps the caches below.</p>
      <label for="f-workspace-caches">Caches kept between builds <span class="hint-inline">— incremental only; one path per line, ignored by the repository's .gitignore</span></label>
      <textarea id="f-workspace-caches" name="workspaceCaches" data-kind="lines" data-empty="null" rows={2} spellcheck={false} placeholder={'node_modules\n.cache/'}>
        {project.workspaceCaches.join('\n')}
      </textarea>
    </fieldset>
  );
}
