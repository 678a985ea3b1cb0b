/**
 * A form that web/client/api-forms.ts sends as JSON to the REST API: the error box above
 * it, the base JSON the fields are applied on, the submit button and a status line.
 */
import type { Child } from 'hono/jsx';
import { JsonScript } from './json-script.tsx';

export interface ApiFormProps {
  method: 'POST' | 'PATCH' | 'DELETE';
  url: string;
  /** Where to go after success (`{id}`: the answer's id); empty stays on the page. */
  redirect?: string;
  /** `reload` shows the saved state by loading the page again. */
  after?: 'reload';
  /** What the body is made of: the fields (default) or the plugin cards. */
  body?: 'plugins';
  base?: unknown;
  submit: string;
  submitClass?: string;
  confirm?: string;
  /** An answer field shown once (a generated secret), with the words that introduce it. */
  showOnce?: [field: string, label: string];
  class?: string;
  label?: string;
  children?: Child;
}

export function ApiForm(props: ApiFormProps) {
  return (
    <form class={`api-form ${props.class ?? 'stack'}`} data-api-method={props.method} data-api-url={props.url} data-redirect={props.redirect ?? ''}
      data-after={props.after} data-body={props.body} data-confirm={props.confirm} aria-label={props.label}
      data-show-once={props.showOnce?.[0]} data-show-once-label={props.showOnce?.[1]}>
      {props.base !== undefined ? <JsonScript class="form-base" value={props.base} /> : ''}
      <p class="alert" role="alert" data-form-error="" tabindex={-1} hidden></p>
      {props.children}
      <div class="form-actions">
        <button type="submit" class={props.submitClass ?? 'primary'}>{props.submit}</button>
        <span class="muted small" data-form-status="" role="status"></span>
      </div>
    </form>
  );
}
