/** Which webhook triggers build: branch globs and the pull request, fork, tag and draft switches. */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';

/** The switches with their defaults (server/forges/branch-rules.ts applies them). */
const SWITCHES = [
  ['pullRequests', true, 'Build pull/merge requests (matched by their target branch)'],
  ['forks', false, 'Build pull requests from forks (they never get secrets)'],
  ['skipDrafts', true, 'Wait until a draft pull request is ready for review'],
  ['tags', false, 'Build pushed tags'],
  ['cancelSuperseded', false, 'Cancel older builds of a branch or pull request when a newer commit arrives'],
] as const;

export function BranchRulesSection({ project }: { project: ProjectView }) {
  const rules = project.branchRules;
  return (
    <section class="card" aria-labelledby="rules-title" id="branch-rules-section">
      <h2 id="rules-title" class="h3">Branch rules</h2>
      <p class="hint">Which webhooks start builds. Globs: <code>*</code> within a path segment, <code>**</code> across (<code>release/*</code>, <code>feature/**</code>). Builds started by hand ignore these rules.</p>
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} submit="Save branch rules" label="Branch rules">
        <div class="field-row">
          <div>
            <label for="rules-include">Build branches matching <span class="hint-inline">— one glob per line</span></label>
            <textarea id="rules-include" name="branchRules.include" data-kind="lines" rows={3} spellcheck={false} placeholder="every branch">{(rules.include ?? []).join('\n')}</textarea>
          </div>
          <div>
            <label for="rules-exclude">Except branches matching</label>
            <textarea id="rules-exclude" name="branchRules.exclude" data-kind="lines" rows={3} spellcheck={false} placeholder="e.g. dependabot/**">{(rules.exclude ?? []).join('\n')}</textarea>
          </div>
        </div>
        {SWITCHES.map(([key, byDefault, text]) => (
          <label class="check"><input type="checkbox" name={`branchRules.${key}`} data-kind="boolean" checked={rules[key] ?? byDefault} /> {text}</label>
        ))}
      </ApiForm>
    </section>
  );
}
