/**
 * Logins to container registries, for pulling the project's images: each registry with
 * its user name and a Remove button, and a form that adds one or replaces it. Passwords
 * are write-only: the queen stores them encrypted, gives them only to drones in their
 * jobs' assignments, and no page or API answer shows them again.
 */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';

export function RegistryLoginsSection({ project }: { project: ProjectView }) {
  const url = `/api/projects/${project.id}`;
  return (
    <section class="card" aria-labelledby="registry-logins-title" id="registry-logins-section">
      <h2 id="registry-logins-title" class="h3">Registry logins</h2>
      <p class="hint">For images in private registries: a drone pulls the project's images from a registry here with its login (before any login of the drone's own). Builds of pull requests from forks get none.</p>
      {project.registryLogins.length === 0 ? <p class="muted">No registry logins yet.</p> : (
        <ul class="plain-list secret-list" aria-label="Registry logins">
          {project.registryLogins.map(({ registry, username }) => (
            <li>
              <code>{registry}</code> <span class="muted small">as {username}, password hidden</span>
              <ApiForm method="PATCH" url={url} base={{ registryLogins: { [registry]: null } }} after="reload" class="inline" submit="Remove" submitClass="small danger"
                confirm={`Remove the login to ${registry}? Builds then pull from it with the drone's own login, if any.`} label={`Remove login to ${registry}`} />
            </li>
          ))}
        </ul>
      )}
      <ApiForm method="PATCH" url={url} after="reload" submit="Save login" label="Add or replace a registry login">
        <div class="field-row">
          <div>
            <label for="registry-host">Registry</label>
            <input id="registry-host" data-path-var="registry" required maxlength={255} pattern="[A-Za-z0-9.\-]+(:[0-9]+)?" title="A host, with a port if any" placeholder="e.g. ghcr.io or docker.io" autocomplete="off" spellcheck={false} />
          </div>
          <div>
            <label for="registry-username">User name</label>
            <input id="registry-username" name="registryLogins.{registry}.username" required maxlength={512} autocomplete="off" spellcheck={false} />
          </div>
        </div>
        <label for="registry-password">Password or token</label>
        <input id="registry-password" name="registryLogins.{registry}.password" type="password" required maxlength={8192} autocomplete="new-password" aria-describedby="registry-password-hint" />
        <p class="hint" id="registry-password-hint">Saving a registry that has a login replaces it. The password is not shown again.</p>
      </ApiForm>
    </section>
  );
}
