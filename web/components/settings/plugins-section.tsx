/**
 * The project's plugins in build order: a card per plugin with an enable switch, buttons
 * to move or remove it, and its settings form generated from the plugin's JSON Schema.
 * web/client/plugin-list.ts makes the buttons work and sends the list as one PATCH.
 */
import type { PluginRef } from '../../../server/db/schema.ts';
import type { PluginInfo } from '../../../server/routes/plugin-config-check.ts';
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';
import { SchemaFields, fieldKind, type JsonSchema } from '../schema-fields.tsx';

function PluginSettings({ plugin, config, idPrefix, secretsSet }: { plugin: PluginInfo | undefined; config: Record<string, unknown>; idPrefix: string; secretsSet?: string[] }) {
  const schema = plugin?.configSchema as JsonSchema | undefined;
  if (schema && fieldKind(schema) === 'object') {
    return (
      <fieldset class="plugin-settings">
        <legend class="sr-only">Settings of {plugin!.name}</legend>
        <SchemaFields schema={schema} value={config} idPrefix={idPrefix} secretsSet={secretsSet} />
      </fieldset>
    );
  }
  if (schema?.type === 'object' && schema.additionalProperties === false) return <p class="muted small">This plugin has no settings.</p>;
  // No schema to build a form from (or none this queen knows): the config as JSON.
  return (
    <div class="schema-field">
      <label for={`${idPrefix}-json`}>Settings <span class="hint-inline">— JSON</span></label>
      <textarea id={`${idPrefix}-json`} name="." data-kind="json" rows={4} spellcheck={false}>{JSON.stringify(config, null, 2)}</textarea>
    </div>
  );
}

function PluginCard({ plugin, entry, position, idPrefix }: { plugin: PluginInfo | undefined; entry: PluginRef & { secretsSet?: string[] }; position: number; idPrefix: string }) {
  const titleId = `${idPrefix}-title`;
  return (
    <li class="plugin-card" data-plugin={entry.name} data-fields-scope="" aria-labelledby={titleId}>
      <div class="plugin-head">
        <span class="plugin-position" data-plugin-position="" aria-hidden="true">{position}</span>
        <h3 class="h4" id={titleId}>
          <code>{entry.name}</code>
          {plugin ? <span class="muted small"> {plugin.version}{plugin.builtIn ? ' · built in' : ''}</span> : ''}
        </h3>
        <label class="check"><input type="checkbox" data-plugin-enabled="" checked={entry.enabled} aria-describedby={titleId} /> Enabled</label>
        <div class="plugin-tools">
          <button type="button" class="small" data-plugin-move="up" aria-label={`Move ${entry.name} up`} title="Move up">↑</button>
          <button type="button" class="small" data-plugin-move="down" aria-label={`Move ${entry.name} down`} title="Move down">↓</button>
          <button type="button" class="small danger" data-plugin-remove="" aria-label={`Remove ${entry.name}`}>Remove</button>
        </div>
      </div>
      {plugin?.description ? <p class="hint">{plugin.description}</p> : ''}
      {plugin ? '' : <p class="alert" role="note">This plugin is not installed on this queen; builds of this project fail to resolve until it is installed (HIVE_PLUGINS) or removed here.</p>}
      <PluginSettings plugin={plugin} config={entry.config} idPrefix={idPrefix} secretsSet={entry.secretsSet} />
    </li>
  );
}

export function PluginsSection({ project, plugins }: { project: ProjectView; plugins: PluginInfo[] }) {
  const known = new Map(plugins.map((p) => [p.name, p]));
  return (
    <section class="card" aria-labelledby="plugins-title" id="plugins-section">
      <h2 id="plugins-title" class="h3">Plugins</h2>
      <p class="hint">Plugins add commands, environment, a container image or services to every build, in this order. A disabled plugin stays configured but does nothing.</p>
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} body="plugins" submit="Save plugins" label="Plugins">
        <p class="muted" data-plugins-empty="" hidden={project.plugins.length > 0}>No plugins: builds run the commands of the build settings and <code>.hive.yml</code>.</p>
        <ol class="plugin-list" data-plugin-list="">
          {project.plugins.map((p, i) => <PluginCard plugin={known.get(p.name)} entry={p} position={i + 1} idPrefix={`plugin-${i}`} />)}
        </ol>
        <div class="row-form plugin-add">
          <label for="plugin-picker">Add a plugin</label>
          <select id="plugin-picker" data-plugin-picker="">
            {plugins.map((p) => <option value={p.name}>{p.description ? `${p.name} — ${p.description}` : p.name}</option>)}
          </select>
          <button type="button" data-plugin-add="">Add</button>
        </div>
        {plugins.map((p) => (
          <template data-plugin-template={p.name}>
            <PluginCard plugin={p} entry={{ name: p.name, enabled: true, config: {} }} position={0} idPrefix={`plugin-__N__`} />
          </template>
        ))}
      </ApiForm>
    </section>
  );
}
