/**
 * What the project page's *Run a build* form sends beside the branch: a field per declared
 * parameter (a select when it has choices, text otherwise; the default filled in; the
 * description beside it) and a file picker. The form is `multipart/form-data` and these
 * come after the CSRF field and before the buttons, so the queen has checked the token
 * and the values before any file arrives (server/routes/ui-run-form.ts).
 */
import type { ParameterDef } from '../../server/db/schema.ts';
import { formatBytes } from '../../common/upload-files.ts';

export function RunInputs({ parameters, maxUploadBytes }: { parameters: readonly ParameterDef[]; maxUploadBytes?: number }) {
  return (
    <div class="run-inputs">
      {parameters.length > 0 ? (
        <fieldset class="run-params">
          <legend>Parameters</legend>
          <div class="field-row">
            {parameters.map((p, i) => {
              const id = `run-param-${i}`;
              const hint = p.description ? `${id}-hint` : undefined;
              return (
                <div>
                  <label for={id}><code>{p.name}</code></label>
                  {p.choices ? (
                    <select id={id} name={`param.${p.name}`} aria-describedby={hint}>
                      {p.choices.map((choice) => <option value={choice} selected={choice === p.default}>{choice === '' ? '(empty)' : choice}</option>)}
                    </select>
                  ) : (
                    <input id={id} name={`param.${p.name}`} value={p.default ?? ''} maxlength={10_000} aria-describedby={hint}
                      placeholder={p.default === undefined ? 'not set' : undefined} autocomplete="off" spellcheck={false} />
                  )}
                  {hint ? <p class="hint" id={hint}>{p.description}</p> : ''}
                </div>
              );
            })}
          </div>
          <p class="hint">An empty field takes the parameter's default (none: the variable is not set).</p>
        </fieldset>
      ) : ''}
      <div class="run-files">
        <label for="run-files">Files <span class="hint-inline">
          — written into the workspace before the build{maxUploadBytes !== undefined ? `, up to ${formatBytes(maxUploadBytes)} in all` : ''}
        </span></label>
        <input type="file" id="run-files" name="file" multiple />
      </div>
    </div>
  );
}
