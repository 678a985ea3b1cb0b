/**
 * Build parameters: what a build may be started with (the run form, the API's `params`,
 * `hive run --param`, schedules), as a list of sub-forms — name, description, default,
 * choices — with *Add parameter* and *Remove* (web/client/array-fields.ts). Saved as a
 * whole with `PATCH {"parameters": […]}`; an error names the parameter's field, which
 * takes the focus.
 */
import type { ParameterDef } from '../../../server/db/schema.ts';
import type { ProjectView } from '../../../server/routes/json-views.ts';
import { ApiForm } from '../api-form.tsx';

function ParameterItem({ parameter, id }: { parameter: Partial<ParameterDef>; id: string }) {
  return (
    <li class="array-item" data-fields-scope="">
      <div class="field-row">
        <div>
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} name="name" value={parameter.name ?? ''} required maxlength={100} pattern="[A-Z][A-Z0-9_]*"
            title="Upper-case letters, digits and _, starting with a letter" placeholder="e.g. TARGET_ENV" autocomplete="off" spellcheck={false} />
        </div>
        <div>
          <label for={`${id}-default`}>Default <span class="hint-inline">— used when a build does not say</span></label>
          <input id={`${id}-default`} name="default" value={parameter.default ?? ''} maxlength={10_000} placeholder="none: not set" autocomplete="off" spellcheck={false} />
        </div>
      </div>
      <label for={`${id}-description`}>Description <span class="hint-inline">— shown beside the field on the run form</span></label>
      <input id={`${id}-description`} name="description" value={parameter.description ?? ''} maxlength={1000} autocomplete="off" />
      <label for={`${id}-choices`}>Choices <span class="hint-inline">— one per line; the only values allowed (a select on the run form). Empty: any text</span></label>
      <textarea id={`${id}-choices`} name="choices" data-kind="lines" rows={2} spellcheck={false}>{(parameter.choices ?? []).join('\n')}</textarea>
      <button type="button" class="small danger" data-array-remove="">Remove this parameter</button>
    </li>
  );
}

export function ParametersSection({ project }: { project: ProjectView }) {
  const { parameters } = project;
  return (
    <section class="card" aria-labelledby="parameters-title" id="parameters-section">
      <h2 id="parameters-title" class="h3">Parameters</h2>
      <p class="hint">
        Values a build can be started with, given to its commands as environment variables — over the configured{' '}
        <code>env</code> and <code>.hive.yml</code>'s, never over a secret of the same name. A build started with a name not
        declared here, or with a value outside the choices, is refused. Names such as <code>PATH</code>, <code>HOME</code>,{' '}
        <code>LD_PRELOAD</code>, <code>GIT_*</code> and Hive's own <code>CI</code> and <code>HIVE_*</code> are reserved. A
        re-run keeps the values of the build it repeats.
      </p>
      <ApiForm method="PATCH" url={`/api/projects/${project.id}`} submit="Save parameters" label="Parameters">
        <fieldset class="schema-objects" data-array-list="parameters" data-empty="[]">
          <legend class="sr-only">Parameters</legend>
          <ol class="array-items" data-array-items="">
            {parameters.map((p, i) => <ParameterItem parameter={p} id={`parameter-${i}`} />)}
          </ol>
          <button type="button" class="small" data-array-add="">Add parameter</button>
          <template data-array-template="">
            <ParameterItem parameter={{}} id="parameter-__I__" />
          </template>
        </fieldset>
      </ApiForm>
    </section>
  );
}
