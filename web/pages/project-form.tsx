/**
 * Creating a project, and the repository and build fields the settings page shares. The
 * form is sent as JSON to the REST API (`POST /api/projects`) by api-forms.ts, so
 * validation, secret handling and errors are the API's, in one place. Field names are
 * paths into the JSON body (`config.phases.test`); `data-kind` says how a field's text
 * becomes JSON.
 */
import type { ProjectView } from '../../server/routes/json-views.ts';
import type { ProjectConfig } from '../../server/db/schema.ts';
import { PHASES } from '../../common/protocol/index.ts';
import { Layout, type PageContext } from '../layout.tsx';
import { ApiForm } from '../components/api-form.tsx';

const PHASE_HINTS: Record<string, string> = {
  environment: 'Runs first, e.g. print tool versions',
  prepare: 'Install dependencies, e.g. npm ci',
  test: 'The tests, e.g. npm test',
  deploy: 'Only for "tests and deploy" builds whose tests passed',
  cleanup: 'Always runs, also after a failure',
};

export function GeneralFields({ project }: { project?: Pick<ProjectView, 'name' | 'repoUrl' | 'defaultBranch'> }) {
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

export function BuildConfigFields({ config, trusted = false }: { config: ProjectConfig; trusted?: boolean }) {
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
      <label class="check"><input type="checkbox" name="config.processFallback" data-kind="bool" checked={!!config.processFallback} /> Let builds with a container image run as plain processes on drones without Docker (otherwise they wait for a drone with Docker)</label>
      <label class="check"><input type="checkbox" name="trusted" data-kind="boolean" checked={trusted} /> Trusted: the repository's <code>.hive.yml</code> may ask for privileged containers, lifted limits and fewer drone labels (never for pull requests from forks)</label>
    </fieldset>
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
