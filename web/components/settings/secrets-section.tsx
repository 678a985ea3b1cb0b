/**
 * Secret environment variables: their names, a Remove button each, and a form that adds
 * one or replaces its value. Values are write-only: the queen stores them encrypted and
 * no page or API answer ever shows them again.
 */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';

export function SecretsSection({ project }: { project: ProjectView }) {
  const url = `/api/projects/${project.id}`;
  return (
    <section class="card" aria-labelledby="secrets-title" id="secrets-section">
      <h2 id="secrets-title" class="h3">Secrets</h2>
      <p class="hint">Given to builds as environment variables and masked in their logs (the <code>env</code> plugin can give one under another name). Builds of pull requests from forks get none.</p>
      {project.secrets.length === 0 ? <p class="muted">No secrets yet.</p> : (
        <ul class="plain-list secret-list" aria-label="Secrets">
          {project.secrets.map((name) => (
            <li>
              <code>{name}</code> <span class="muted small">value hidden</span>
              <ApiForm method="PATCH" url={url} base={{ secrets: { [name]: null } }} after="reload" class="inline" submit="Remove" submitClass="small danger"
                confirm={`Remove the secret ${name}? Builds no longer get it.`} label={`Remove secret ${name}`} />
            </li>
          ))}
        </ul>
      )}
      <ApiForm method="PATCH" url={url} after="reload" submit="Save secret" label="Add or replace a secret">
        <div class="field-row">
          <div>
            <label for="secret-name">Name</label>
            <input id="secret-name" data-path-var="secret" required maxlength={200} pattern="[A-Za-z_][A-Za-z0-9_]*" title="Letters, digits and underscores, not starting with a digit" placeholder="e.g. NPM_TOKEN" autocomplete="off" spellcheck={false} />
          </div>
        </div>
        <label for="secret-value">Value</label>
        <textarea id="secret-value" name="secrets.{secret}" required rows={2} autocomplete="off" spellcheck={false} aria-describedby="secret-value-hint"></textarea>
        <p class="hint" id="secret-value-hint">Saving a name that exists replaces its value. The value is not shown again.</p>
      </ApiForm>
    </section>
  );
}
