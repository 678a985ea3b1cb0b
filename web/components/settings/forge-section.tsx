/**
 * The forge (GitHub or GitLab) that sends webhooks and receives commit statuses, its API
 * token, and the credentials that clone a private repository. Tokens, passwords and keys
 * are write-only: an empty field keeps what is stored, a Remove button deletes it.
 */
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';

function credentialsText(c: ProjectView['credentials']): string {
  if (!c) return 'none (public repository, or a local path)';
  if (c.type === 'https') return `an HTTPS token${c.username ? ` for user ${c.username}` : ''}`;
  const key = c.deployKey ? 'an SSH deploy key' : 'no SSH deploy key';
  return c.knownHosts ? `${key}, and known hosts` : `${key}; host keys are pinned on first use`;
}

/** The host keys ssh accepts (public: hosts and fingerprints), so an admin can compare them with the forge's. */
function KnownHostsList({ credentials }: { credentials: ProjectView['credentials'] }) {
  if (credentials?.type !== 'ssh' || !credentials.knownHosts) return <></>;
  return (
    <ul class="hint" aria-label="Known hosts">
      {credentials.knownHosts.map((h) => (
        <li>{h.marker ? `${h.marker} ` : ''}<code>{h.hosts}</code> {h.keyType} <code>{h.fingerprint}</code></li>
      ))}
    </ul>
  );
}

export function ForgeSection({ project }: { project: ProjectView }) {
  const url = `/api/projects/${project.id}`;
  return (
    <section class="card" aria-labelledby="forge-title" id="forge-section">
      <h2 id="forge-title" class="h3">Forge and credentials</h2>
      <ApiForm method="PATCH" url={url} after="reload" submit="Save forge settings" label="Forge">
        <fieldset>
          <legend>Webhooks and commit statuses</legend>
          <div class="field-row">
            <div>
              <label for="forge-provider">Forge</label>
              <select id="forge-provider" name="provider" data-empty="null">
                <option value="" selected={!project.provider}>none</option>
                <option value="github" selected={project.provider === 'github'}>GitHub</option>
                <option value="gitlab" selected={project.provider === 'gitlab'}>GitLab</option>
              </select>
            </div>
            <div>
              <label for="forge-repo">Repository on the forge</label>
              <input id="forge-repo" name="forgeRepo" data-empty="null" value={project.forgeRepo ?? ''} placeholder="owner/name (from the Git URL when empty)" spellcheck={false} autocomplete="off" />
            </div>
          </div>
          <label for="forge-api">API URL <span class="hint-inline">— only for GitHub Enterprise (https://host/api/v3) or a self-hosted GitLab (https://host/api/v4)</span></label>
          <input id="forge-api" name="forgeApiUrl" type="url" data-empty="null" value={project.forgeApiUrl ?? ''} placeholder="the public service" spellcheck={false} autocomplete="off" />
          <label for="forge-token">API token for commit statuses</label>
          <input id="forge-token" name="forgeToken" type="password" autocomplete="new-password" aria-describedby="forge-token-hint"
            placeholder={project.hasForgeToken ? 'set; leave empty to keep it' : 'not set'} />
          <p class="hint" id="forge-token-hint">GitHub: a token with "Commit statuses: write"; GitLab: a token with the api scope.</p>
        </fieldset>
      </ApiForm>
      <ApiForm method="PATCH" url={url} after="reload" submit="Save credentials" label="Clone credentials">
        <fieldset>
          <legend>Clone credentials</legend>
          <p class="hint">Now: {credentialsText(project.credentials)}. Give a token (with an optional user name) or an SSH deploy key; saving replaces what is stored — except that the key and the known hosts may be saved apart (an empty field keeps what is stored).</p>
          <KnownHostsList credentials={project.credentials} />
          <div class="field-row">
            <div>
              <label for="clone-user">User name</label>
              <input id="clone-user" name="credentials.username" autocomplete="off" spellcheck={false} placeholder="e.g. x-access-token, oauth2" />
            </div>
            <div>
              <label for="clone-password">Token or password</label>
              <input id="clone-password" name="credentials.password" type="password" autocomplete="new-password" />
            </div>
          </div>
          <label for="clone-key">or SSH deploy key <span class="hint-inline">— the private key, for ssh:// or git@ URLs</span></label>
          <textarea id="clone-key" name="credentials.sshKey" rows={3} spellcheck={false} autocomplete="off" placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"></textarea>
          <label for="clone-known-hosts">Known hosts <span class="hint-inline">— for SSH: the server keys to accept, as <code>ssh-keyscan host</code> prints them</span></label>
          <textarea id="clone-known-hosts" name="credentials.knownHosts" rows={3} spellcheck={false} autocomplete="off" aria-describedby="clone-known-hosts-hint"
            placeholder="github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5…"></textarea>
          <p class="hint" id="clone-known-hosts-hint">Without them, Hive accepts the key a server shows the first time and refuses any other key later.</p>
        </fieldset>
      </ApiForm>
      {project.hasForgeToken || project.credentials ? (
        <div class="row-form">
          {project.hasForgeToken ? (
            <ApiForm method="PATCH" url={url} base={{ forgeToken: null }} after="reload" class="inline" submit="Remove API token" submitClass="small danger"
              confirm="Remove the forge API token? Commit statuses stop." label="Remove the forge API token" />
          ) : ''}
          {project.credentials?.type === 'ssh' && project.credentials.knownHosts && project.credentials.deployKey ? (
            <ApiForm method="PATCH" url={url} base={{ credentials: { knownHosts: null } }} after="reload" class="inline" submit="Remove known hosts" submitClass="small danger"
              confirm="Remove the known hosts? Host keys are then pinned on first use." label="Remove the known hosts" />
          ) : ''}
          {project.credentials ? (
            <ApiForm method="PATCH" url={url} base={{ credentials: null }} after="reload" class="inline" submit="Remove clone credentials" submitClass="small danger"
              confirm="Remove the clone credentials? A private repository can no longer be fetched." label="Remove the clone credentials" />
          ) : ''}
        </div>
      ) : ''}
    </section>
  );
}
