/**
 * Creating a project and editing its settings. The form is sent as JSON to the REST API
 * (`POST /api/projects`, `PATCH /api/projects/:id`) by api-forms.ts, so validation, secret
 * handling and errors are the API's, in one place. Field names are paths into the JSON
 * body (`config.phases.test`); `data-kind` says how a field's text becomes JSON.
 *
 * The settings page is a list of sections (`SETTINGS_SECTIONS`); forge, plugin, branch
 * rule and secret sections are added there as those features land.
 */
import type { Child } from 'hono/jsx';
import type { Project } from '../../server/db/projects.ts';
import type { ProjectConfig } from '../../server/db/schema.ts';
import { PHASES } from '../../server/protocol/index.ts';
import { Layout, type PageContext } from '../layout.tsx';
import { projectPath } from '../urls.ts';
import { scriptJson } from './build.tsx';

const PHASE_HINTS: Record<string, string> = {
  environment: 'Runs first, e.g. print tool versions',
  prepare: 'Install dependencies, e.g. npm ci',
  test: 'The tests, e.g. npm test',
  deploy: 'Only for "tests and deploy" builds whose tests passed',
  cleanup: 'Always runs, also after a failure',
};

export function GeneralFields({ project }: { project?: Project }) {
  return (
    <fieldset>
      <legend>Repository</legend>
      <label for="f-name">Name</label>
      <input id="f-name" name="name" required maxlength={100} value={project?.name ?? ''} pattern="[\w.\- ]+" title="Letters, digits, spaces, dots, underscores and dashes" autocomplete="off" />
      <label for="f-repo">Git URL</label>
      <input id="f-repo" name="repoUrl" required value={project?.repoUrl ?? ''} placeholder="https://github.com/you/app.git or /srv/git/app" spellcheck={false} autocomplete="off" aria-describedby="f-repo-hint" />
      <p class="hint" id="f-repo-hint">https, ssh or a local path; credentials do not go here.</p>
      <label for="f-branch">Default branch</label>
      <input id="f-branch" name="defaultBranch" value={project?.defaultBranch ?? 'main'} spellcheck={false} autocomplete="off" data-optional="" />
    </fieldset>
  );
}

export function BuildConfigFields({ config }: { config: ProjectConfig }) {
  return (
    <fieldset>
      <legend>Build</legend>
      <p class="hint">One command per line. A <code>.hive.yml</code> in the repository overrides these per phase.</p>
      {PHASES.map((phase) => (
        <>
          <label for={`f-phase-${phase}`}>{phase} <span class="hint-inline">— {PHASE_HINTS[phase]}</span></label>
          <textarea id={`f-phase-${phase}`} name={`config.phases.${phase}`} data-kind="lines" rows={phase === 'test' ? 4 : 2} spellcheck={false}>
            {(config.phases?.[phase] ?? []).join('\n')}
          </textarea>
        </>
      ))}
      <label for="f-env">Environment variables <span class="hint-inline">— NAME=value per line; not for secrets</span></label>
      <textarea id="f-env" name="config.env" data-kind="env" rows={3} spellcheck={false}>
        {Object.entries(config.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n')}
      </textarea>
      <div class="field-row">
        <div>
          <label for="f-image">Container image</label>
          <input id="f-image" name="config.image" value={config.image ?? ''} placeholder="none: plain processes" spellcheck={false} />
        </div>
        <div>
          <label for="f-timeout">Timeout (seconds)</label>
          <input id="f-timeout" name="config.timeout" data-kind="int" type="number" min={1} value={config.timeout ?? ''} placeholder="queen default" />
        </div>
        <div>
          <label for="f-labels">Drone labels</label>
          <input id="f-labels" name="config.labels" data-kind="csv" value={(config.labels ?? []).join(', ')} placeholder="e.g. linux, docker" spellcheck={false} />
        </div>
      </div>
      <label class="check"><input type="checkbox" name="config.retryOnLostDrone" data-kind="bool" checked={!!config.retryOnLostDrone} /> Re-queue a build whose drone was lost (instead of ending it errored)</label>
    </fieldset>
  );
}

/** What the project JSON holds beyond the editable fields, shown as it is until its own section exists. */
function PluginsSection({ project }: { project: Project }) {
  return (
    <section class="card" aria-labelledby="plugins-title" id="plugins-section">
      <h2 id="plugins-title" class="h3">Plugins</h2>
      {project.plugins.length === 0 ? <p class="muted">No plugins configured.</p> : (
        <ol class="plain-list">
          {project.plugins.map((p) => (
            <li><code>{p.name}</code> {p.enabled ? '' : <span class="muted">(disabled)</span>} {Object.keys(p.config).length ? <pre class="small">{JSON.stringify(p.config, null, 2)}</pre> : ''}</li>
          ))}
        </ol>
      )}
    </section>
  );
}

function BranchRulesSection({ project }: { project: Project }) {
  const rules = project.branchRules ?? {};
  return (
    <section class="card" aria-labelledby="rules-title" id="branch-rules-section">
      <h2 id="rules-title" class="h3">Branch rules</h2>
      {Object.keys(rules).length === 0 ? <p class="muted">Every branch builds (default rules).</p> : <pre>{JSON.stringify(rules, null, 2)}</pre>}
    </section>
  );
}

export interface SettingsSectionProps {
  ctx: PageContext;
  project: Project;
  publicUrl: string;
}

function WebhookSection({ project, publicUrl }: SettingsSectionProps) {
  const base = publicUrl.replace(/\/$/, '');
  return (
    <section class="card" aria-labelledby="webhook-title" id="webhook-section">
      <h2 id="webhook-title" class="h3">Webhook</h2>
      <p>Point a webhook of the repository at this URL (content type JSON), with the project's webhook secret:</p>
      <ul class="plain-list">
        {(project.provider ? [project.provider] : ['github', 'gitlab']).map((p) => (
          <li><span class="muted">{p === 'github' ? 'GitHub' : 'GitLab'}:</span> <code class="token-line">{`${base}/hooks/${p}`}</code></li>
        ))}
      </ul>
      <form class="api-form" data-api-method="POST" data-api-url={`/api/projects/${project.id}/webhook-secret`} data-redirect=""
        data-show-once="webhookSecret" data-show-once-label="The new webhook secret" data-confirm="Make a new webhook secret? The current one stops working.">
        <p class="alert" role="alert" data-form-error="" tabindex={-1} hidden></p>
        <p class="muted small">The secret is stored encrypted and shown only when it is made.</p>
        <button type="submit">New webhook secret</button>
      </form>
    </section>
  );
}

/** The sections of the settings page after the main form, in order. Add new ones here. */
export const SETTINGS_SECTIONS: ((props: SettingsSectionProps) => Child)[] = [
  (props) => <WebhookSection {...props} />,
  ({ project }) => <PluginsSection project={project} />,
  ({ project }) => <BranchRulesSection project={project} />,
];

function ApiForm(props: { method: string; url: string; redirect: string; base: unknown; submit: string; showOnce?: [field: string, label: string]; children?: Child }) {
  return (
    <form class="stack api-form" data-api-method={props.method} data-api-url={props.url} data-redirect={props.redirect}
      data-show-once={props.showOnce?.[0]} data-show-once-label={props.showOnce?.[1]}>
      <script type="application/json" class="form-base" dangerouslySetInnerHTML={{ __html: scriptJson(props.base) }}></script>
      <p class="alert" role="alert" data-form-error="" tabindex={-1} hidden></p>
      {props.children}
      <div class="form-actions">
        <button type="submit" class="primary">{props.submit}</button>
        <span class="muted small" data-form-status="" role="status"></span>
      </div>
    </form>
  );
}

export function NewProjectPage({ ctx }: { ctx: PageContext }) {
  return (
    <Layout ctx={ctx} title="New project" nav="dashboard" scripts={['forms.js']}>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <span aria-current="page">New project</span></nav>
      <h1>New project</h1>
      <ApiForm method="POST" url="/api/projects" redirect="/projects/{id}" base={{ config: {} }} submit="Create project"
        showOnce={['webhookSecret', 'Project created. Its webhook secret, to paste into GitHub or GitLab with the webhook URL from the settings page,']}>
        <GeneralFields />
        <BuildConfigFields config={{ phases: { test: [] } }} />
      </ApiForm>
    </Layout>
  );
}

export function ProjectSettingsPage({ ctx, project, publicUrl }: SettingsSectionProps) {
  return (
    <Layout ctx={ctx} title={`Settings · ${project.name}`} nav="dashboard" scripts={['forms.js']}>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <a href={projectPath(project.id)}>{project.name}</a> › <span aria-current="page">Settings</span></nav>
      <h1>Settings of {project.name}</h1>
      <section class="card" aria-label="Repository and build">
        <ApiForm method="PATCH" url={`/api/projects/${project.id}`} redirect="" base={{ config: project.config }} submit="Save">
          <GeneralFields project={project} />
          <BuildConfigFields config={project.config} />
        </ApiForm>
      </section>
      {SETTINGS_SECTIONS.map((Section) => Section({ ctx, project, publicUrl }))}
      <section class="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title" class="h3">Delete project</h2>
        <p>Deletes the project with all its builds and logs.</p>
        <form class="api-form" data-api-method="DELETE" data-api-url={`/api/projects/${project.id}`} data-redirect="/" data-confirm={`Delete ${project.name} and all its builds?`}>
          <p class="alert" role="alert" data-form-error="" tabindex={-1} hidden></p>
          <button type="submit" class="danger">Delete {project.name}</button>
        </form>
      </section>
    </Layout>
  );
}
