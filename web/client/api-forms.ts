/**
 * Forms that talk to the REST API as JSON (`form.api-form`): project creation, settings,
 * secrets, deletion. The body is built from the form's fields (form-values.ts) on top of
 * its `.form-base` JSON, so settings a form does not show survive a save; a form with
 * `data-body="plugins"` sends its plugin cards instead (plugin-list.ts). Errors from the
 * API appear above the form. After success the page goes to `data-redirect` (`{id}` is
 * the answer's id), reloads (`data-after="reload"`), or shows a once-only secret.
 *
 * Inside an element with `data-project-version` (the settings page), a PATCH is sent with
 * `If-Match: "<version>"`: the queen refuses it (412) when someone else changed the project
 * since, and the form says so with a link to reload. An answer's `version` (a save made
 * here) becomes the element's, so the page's other forms go on saving on top of it.
 */
import { FieldError, fieldForError, fieldsBody, formBase, type Json } from './form-values.ts';
import { setUpArrayFields } from './array-fields.ts';
import { pluginListBody, setUpPluginList } from './plugin-list.ts';

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

function formBody(form: HTMLFormElement): Json {
  if (form.dataset.body === 'plugins') return pluginListBody(form);
  return fieldsBody(form, formBase(form));
}

function showOnce(form: HTMLFormElement, label: string, value: string, next: string | undefined): void {
  const box = document.createElement('div');
  box.className = 'notice';
  box.setAttribute('role', 'status');
  box.tabIndex = -1;
  const text = document.createElement('p');
  text.textContent = `${label} (shown once; copy it now):`;
  const code = document.createElement('code');
  code.className = 'secret-value';
  code.textContent = value;
  const line = document.createElement('p');
  line.className = 'token-line';
  line.append(code);
  box.append(text, line);
  if (next) {
    const link = document.createElement('a');
    link.href = next;
    link.className = 'button primary';
    link.textContent = 'Continue';
    box.append(link);
  }
  form.replaceWith(box);
  box.focus();
}

/** The project's version the form's page holds, for If-Match (none outside the settings page). */
const versionHolder = (form: HTMLFormElement) => form.closest<HTMLElement>('[data-project-version]');

/** A 412: someone else saved the project since the page was rendered; nothing was written. */
class StaleFormError extends Error {}

function showStale(errorBox: HTMLElement): void {
  errorBox.textContent = 'Someone else changed this project since this page was opened, so nothing was saved. '
    + 'Reload the page to see the current settings, then make your change again. ';
  const reload = document.createElement('a');
  reload.href = location.pathname + location.search;
  reload.textContent = 'Reload the page';
  errorBox.append(reload);
}

for (const form of document.querySelectorAll<HTMLFormElement>('form.api-form')) {
  if (form.dataset.body === 'plugins') setUpPluginList(form);
  if (form.querySelector('[data-array-list], template')) setUpArrayFields(form);
  const errorBox = form.querySelector<HTMLElement>('[data-form-error]');
  const status = form.querySelector<HTMLElement>('[data-form-status]');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const method = form.dataset.apiMethod ?? 'POST';
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (button) button.disabled = true;
    if (errorBox) errorBox.hidden = true;
    for (const invalid of form.querySelectorAll('[aria-invalid="true"]')) invalid.removeAttribute('aria-invalid');
    if (status) status.textContent = 'Saving…';
    try {
      const body = method === 'DELETE' ? undefined : JSON.stringify(formBody(form));
      const version = versionHolder(form)?.dataset.projectVersion;
      const res = await fetch(form.dataset.apiUrl!, {
        method,
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'application/json',
          ...(method === 'PATCH' && version && { 'if-match': `"${version}"` }),
        },
        body,
      });
      const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
      if (res.status === 412) throw new StaleFormError(json?.error?.message);
      if (!res.ok) throw new Error(json?.error?.message ?? `The queen answered ${res.status}`);
      const holder = versionHolder(form);
      if (holder && typeof json.version === 'number') holder.dataset.projectVersion = String(json.version);
      const redirect = form.dataset.redirect?.replace('{id}', encodeURIComponent(json.id ?? ''));
      const once = form.dataset.showOnce;
      if (once && typeof json[once] === 'string') {
        // A secret the API shows only in this answer: show it, and go on when the user has it.
        showOnce(form, form.dataset.showOnceLabel ?? once, json[once], redirect);
        return;
      }
      if (redirect) {
        location.href = redirect;
        return;
      }
      if (form.dataset.after === 'reload') {
        location.reload();
        return;
      }
      if (status) status.textContent = 'Saved.';
    } catch (err) {
      if (status) status.textContent = '';
      if (errorBox) {
        if (err instanceof StaleFormError) showStale(errorBox);
        else errorBox.textContent = (err as Error).message;
        errorBox.hidden = false;
      }
      // The field to correct takes the focus (marked invalid until the next try); otherwise the message does.
      const field = err instanceof FieldError ? err.field : err instanceof StaleFormError ? undefined : fieldForError(form, (err as Error).message);
      if (field) {
        field.setAttribute('aria-invalid', 'true');
        field.focus();
      } else {
        errorBox?.focus();
      }
    } finally {
      if (button) button.disabled = false;
    }
  });
}
