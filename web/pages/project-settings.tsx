/**
 * A project's settings: one section per concern, each a form of its own that saves
 * through the REST API (`PATCH /api/projects/:id`), so a section's save never touches
 * what another section shows. Sections are listed in `SETTINGS_SECTIONS`, in page order.
 *
 * The sections sit in one element that carries the project's version the page was rendered
 * from (`data-project-version`): every change is sent with it as `If-Match`, so saving a
 * page opened before someone else's save is refused (412) instead of undoing that save,
 * and each save here moves it on to the version it made (web/client/api-forms.ts).
 */
import type { Child } from 'hono/jsx';
import type { PluginInfo } from '../../server/routes/plugin-config-check.ts';
import type { DeliveryView, ProjectView } from '../../server/routes/json-views.ts';
import { QueueFields } from './project-queue-fields.tsx';
import { WorkspaceFields } from './project-workspace-fields.tsx';
import { ApiForm } from '../components/api-form.tsx';
import { BadgeSection } from '../components/settings/badge-section.tsx';
import { BranchRulesSection } from '../components/settings/branch-rules-section.tsx';
import { ForgeSection } from '../components/settings/forge-section.tsx';
import { ParametersSection } from '../components/settings/parameters-section.tsx';
import { PluginsSection } from '../components/settings/plugins-section.tsx';
import { SchedulesSection } from '../components/settings/schedules-section.tsx';
import { RegistryLoginsSection } from '../components/settings/registry-logins-section.tsx';
import { SecretsSection } from '../components/settings/secrets-section.tsx';
import { WebhookSection } from '../components/settings/webhook-section.tsx';
import { Layout, type PageContext } from '../layout.tsx';
import { projectPath } from '../../common/urls.ts';
import { BuildConfigFields, GeneralFields } from './project-form.tsx';

export interface SettingsPageData {
  project: ProjectView;
  /** Plugins installed on this queen, with their config schemas. */
  plugins: PluginInfo[];
  deliveries: DeliveryView[];
  /** Build numbers of the deliveries' jobs (deleted ones are absent). */
  buildNumbers: Map<string, number>;
  publicUrl: string;
}

function MainSection({ project }: SettingsPageData) {
  // The base keeps config keys this form has no field for (services, per-branch sections).
  return (
    <section class="card" aria-label="Repository and build">
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} base={{ config: project.config }} submit="Save" label="Repository and build">
        <GeneralFields project={project} />
        <BuildConfigFields config={project.config} trusted={project.trusted} />
        <QueueFields project={project} />
        <WorkspaceFields project={project} />
      </ApiForm>
    </section>
  );
}

function DeleteSection({ project }: SettingsPageData) {
  return (
    <section class="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title" class="h3">Delete project</h2>
      <p>Deletes the project with all its builds and logs.</p>
      <ApiForm method="DELETE" url={`/api/projects/${project.id}`} redirect="/" confirm={`Delete ${project.name} and all its builds?`}
        class="inline" submit={`Delete ${project.name}`} submitClass="danger" label="Delete project" />
    </section>
  );
}

/** The sections of the settings page, in order. */
export const SETTINGS_SECTIONS: ((data: SettingsPageData) => Child)[] = [
  MainSection,
  (d) => <PluginsSection project={d.project} plugins={d.plugins} />,
  (d) => <SecretsSection project={d.project} />,
  (d) => <RegistryLoginsSection project={d.project} />,
  (d) => <ParametersSection project={d.project} />,
  (d) => <BranchRulesSection project={d.project} />,
  (d) => <SchedulesSection project={d.project} />,
  (d) => <ForgeSection project={d.project} />,
  (d) => <WebhookSection project={d.project} publicUrl={d.publicUrl} deliveries={d.deliveries} buildNumbers={d.buildNumbers} />,
  (d) => <BadgeSection project={d.project} publicUrl={d.publicUrl} />,
  DeleteSection,
];

export function ProjectSettingsPage({ ctx, data }: { ctx: PageContext; data: SettingsPageData }) {
  const { project } = data;
  return (
    <Layout ctx={ctx} title={`Settings · ${project.name}`} nav="dashboard" scripts={['forms.js']}>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <a href={projectPath(project.id)}>{project.name}</a> › <span aria-current="page">Settings</span></nav>
      <h1>Settings of {project.name}</h1>
      <nav class="section-links" aria-label="Settings sections">
        <a href="#plugins-section">Plugins</a> · <a href="#secrets-section">Secrets</a> · <a href="#registry-logins-section">Registry logins</a> · <a href="#parameters-section">Parameters</a> · <a href="#branch-rules-section">Branch rules</a> · <a href="#schedules-section">Schedules</a> · <a href="#forge-section">Forge and credentials</a> · <a href="#webhook-section">Webhook</a> · <a href="#badge-section">Badge</a>
      </nav>
      <div data-project-version={project.version}>
        {SETTINGS_SECTIONS.map((Section) => Section(data))}
      </div>
    </Layout>
  );
}
