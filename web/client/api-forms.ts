/**
 * Forms that talk to the REST API as JSON (`form.api-form`): project creation, settings,
 * deletion. Each field's `name` is a path into the body (`config.phases.test`) and its
 * `data-kind` how its text becomes JSON: `lines` (one item per line), `csv`, `env`
 * (NAME=value lines), `int`, `bool`; anything else is a string. An empty field removes its
 * key. The body starts from the form's `.form-base` JSON, so settings this page does not
 * show survive a save. Errors from the API appear above the form.
 */
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

type Json = Record<string, unknown>;

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

function fieldValue(el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement): unknown {
  const kind = el.dataset.kind;
  if (kind === 'bool') return (el as HTMLInputElement).checked || undefined;
  const text = el.value.trim();
  if (!text) return undefined;
  switch (kind) {
    case 'lines':
      return text.split('\n').map((l) => l.trim()).filter(Boolean);
    case 'csv':
      return text.split(',').map((l) => l.trim()).filter(Boolean);
    case 'int':
      return Number(text);
    case 'env': {
      const env: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const trimmed = line.trim();
        if (!trimmed || trimmed.startsWith('#')) continue;
        const eq = trimmed.indexOf('=');
        env[eq === -1 ? trimmed : trimmed.slice(0, eq).trim()] = eq === -1 ? '' : trimmed.slice(eq + 1);
      }
      return env;
    }
    default:
      return text;
  }
}

function formBody(form: HTMLFormElement): Json {
  const base = form.querySelector('script.form-base')?.textContent;
  const body = (base ? JSON.parse(base) : {}) as Json;
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[name]')) {
    if (el.name === '_csrf' || el.disabled) continue;
    setPath(body, el.name.split('.'), fieldValue(el));
  }
  return body;
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

for (const form of document.querySelectorAll<HTMLFormElement>('form.api-form')) {
  const errorBox = form.querySelector<HTMLElement>('[data-form-error]');
  const status = form.querySelector<HTMLElement>('[data-form-status]');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const method = form.dataset.apiMethod ?? 'POST';
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (button) button.disabled = true;
    if (errorBox) errorBox.hidden = true;
    if (status) status.textContent = 'Saving…';
    try {
      const res = await fetch(form.dataset.apiUrl!, {
        method,
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'application/json' },
        body: method === 'DELETE' ? undefined : JSON.stringify(formBody(form)),
      });
      const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(json?.error?.message ?? `The queen answered ${res.status}`);
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
      if (status) status.textContent = 'Saved.';
    } catch (err) {
      if (status) status.textContent = '';
      if (errorBox) {
        errorBox.textContent = (err as Error).message;
        errorBox.hidden = false;
        errorBox.focus();
      }
    } finally {
      if (button) button.disabled = false;
    }
  });
}
