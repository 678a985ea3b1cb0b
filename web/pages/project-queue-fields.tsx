/** The project's place in the queue: its default priority and how many of its builds may run at once. */
import type { ProjectView } from '../../server/routes/json-views.ts';

export function QueueFields({ project }: { project: Pick<ProjectView, 'defaultPriority' | 'maxConcurrent'> }) {
  return (
    <fieldset>
      <legend>Queue</legend>
      <div class="field-row">
        <div>
          <label for="f-priority">Default priority</label>
          <input id="f-priority" name="defaultPriority" data-kind="int" type="number" min={-100} max={100} value={project.defaultPriority} aria-describedby="f-priority-hint" />
          <p class="hint" id="f-priority-hint">−100…100; higher goes first. A waiting build gains a point a minute.</p>
        </div>
        <div>
          <label for="f-max-concurrent">Builds at once</label>
          <input id="f-max-concurrent" name="maxConcurrent" data-kind="int" data-empty="null" type="number" min={1} value={project.maxConcurrent ?? ''} placeholder="no limit" aria-describedby="f-max-hint" />
          <p class="hint" id="f-max-hint">The rest wait in the queue; empty: no limit.</p>
        </div>
      </div>
    </fieldset>
  );
}
