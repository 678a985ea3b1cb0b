/**
 * Turns form fields into the JSON the REST API takes. A field's `name` is a dot path into
 * the body (`config.phases.test`); a `{var}` segment is replaced by the value of the
 * form's `[data-path-var="var"]` input (a secret's name, say). `data-kind` says how the
 * text becomes JSON:
 *
 *   (none) string · `int`/`number` · `bool` (true or left out) · `boolean` (true/false) ·
 *   `set` (checked values of the check boxes sharing the name) · `lines` · `csv` ·
 *   `env` (NAME=value lines) · `json` (parsed; a name of `.` stands for the whole object)
 *
 * An empty field leaves its key out, or sends null when it has `data-empty="null"`. Lists of
 * objects (`[data-array-list]`, items added from a template) become arrays of their items.
 */
export type Json = Record<string, unknown>;

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** A value the user must correct; names the field so it can take the focus. */
export class FieldError extends Error {
  constructor(readonly field: Field, message: string) {
    super(message);
  }
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) {
      if (value === undefined) return; // nothing to remove below a missing key
      node[key] = {};
    }
    node = node[key] as Json;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    env[eq === -1 ? trimmed : trimmed.slice(0, eq).trim()] = eq === -1 ? '' : trimmed.slice(eq + 1);
  }
  return env;
}

export function fieldValue(el: Field): unknown {
  const kind = el.dataset.kind;
  if (kind === 'bool') return (el as HTMLInputElement).checked || undefined;
  if (kind === 'boolean') return (el as HTMLInputElement).checked;
  const text = el.value.trim();
  if (!text) return el.dataset.empty === 'null' ? null : undefined;
  switch (kind) {
    case 'lines':
      return text.split('\n').map((l) => l.trim()).filter(Boolean);
    case 'csv':
      return text.split(',').map((l) => l.trim()).filter(Boolean);
    case 'int':
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) throw new FieldError(el, `${labelOf(el)}: "${text}" is not ${kind === 'int' ? 'a whole number' : 'a number'}`);
      return n;
    }
    case 'env':
      return parseEnv(text);
    case 'json':
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new FieldError(el, `${labelOf(el)}: not valid JSON (${(err as Error).message})`);
      }
    default:
      return text;
  }
}

function labelOf(el: Field): string {
  const label = el.id ? el.ownerDocument.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
  if (!label) return el.name;
  const words = label.cloneNode(true) as HTMLElement;
  for (const extra of words.querySelectorAll('.hint-inline, .req')) extra.remove();
  return words.textContent!.trim();
}

function resolvePath(root: ParentNode, name: string): string[] | undefined {
  const path: string[] = [];
  for (const segment of name.split('.')) {
    const variable = /^\{([\w-]+)\}$/.exec(segment)?.[1];
    if (!variable) {
      path.push(segment);
      continue;
    }
    const source = root.querySelector<HTMLInputElement>(`[data-path-var="${variable}"]`);
    const value = source?.value.trim();
    if (!value) {
      if (source) throw new FieldError(source, `${labelOf(source)}: required`);
      return undefined;
    }
    path.push(value);
  }
  return path;
}

/**
 * The JSON of the fields under `root`, on top of `base`. Fields inside a nested
 * `[data-fields-scope]` (a plugin card, say) belong to that scope and are skipped.
 */
export function fieldsBody(root: HTMLElement, base: Json = {}): Json {
  const body = structuredClone(base);
  const sets = new Map<string, string[]>();
  const scopeOf = (el: Element) => el.closest('[data-fields-scope]');
  const rootScope = scopeOf(root);
  for (const el of root.querySelectorAll<Field>('[name]')) {
    if (el.name === '_csrf' || el.disabled || scopeOf(el) !== rootScope) continue;
    if (el.dataset.kind === 'set') {
      const values = sets.get(el.name) ?? [];
      sets.set(el.name, values);
      if ((el as HTMLInputElement).checked) values.push(el.value);
      continue;
    }
    const value = fieldValue(el);
    if (el.name === '.') return (value ?? {}) as Json; // the whole object as JSON
    const path = resolvePath(root, el.name);
    if (path) setPath(body, path, value);
  }
  for (const [name, values] of sets) {
    const path = resolvePath(root, name);
    if (path) setPath(body, path, values);
  }
  // Lists of objects: each item is a scope of its own; an empty list leaves its key out, or
  // sends [] with `data-empty="[]"` (a list that is the whole setting, such as schedules).
  for (const list of root.querySelectorAll<HTMLElement>('[data-array-list]')) {
    if (scopeOf(list) !== rootScope) continue;
    const items = [...list.querySelectorAll<HTMLElement>(':scope > [data-array-items] > .array-item')].map((item) => fieldsBody(item));
    setPath(body, list.dataset.arrayList!.split('.'), items.length ? items : list.dataset.empty === '[]' ? [] : undefined);
  }
  return body;
}

/** The base a form's body starts from (settings the form does not show survive a save). */
export function formBase(form: HTMLElement): Json {
  const base = form.querySelector(':scope > script.form-base')?.textContent;
  return (base ? JSON.parse(base) : {}) as Json;
}

/**
 * The field an API error names (`config.timeout: …`, `plugins[1].config.version: …`), so
 * it can take the focus: the longest leading part of the error's path that is a field's
 * name. Plugin errors are looked up in the card at that position.
 */
export function fieldForError(form: HTMLFormElement, message: string): Field | null {
  const where = /^([\w.[\]-]+): /.exec(message)?.[1];
  if (!where) return null;
  let path = where.replace(/\[(\d+)\]/g, '.$1').split('.');
  let scope: Element = form;
  if (form.dataset.body === 'plugins' && path[0] === 'plugins') {
    const card = form.querySelectorAll('[data-plugin-list] > .plugin-card')[Number(path[1])];
    if (!card) return null;
    scope = card;
    path = path.slice(3); // plugins, index, config
  }
  return fieldForErrorIn(scope, path);
}

function fieldForErrorIn(scope: Element, path: string[]): Field | null {
  // Only this scope's own fields: an item of a list may have a field of the same name.
  const scopeElement = scope.closest('[data-fields-scope]');
  const own = <T extends Element>(selector: string) =>
    [...scope.querySelectorAll<T>(selector)].find((el) => el.closest('[data-fields-scope]') === scopeElement);
  for (let n = path.length; n > 0; n--) {
    const name = path.slice(0, n).join('.');
    const field = own<Field>(`[name="${CSS.escape(name)}"]`);
    if (field) return field;
    // `services.1.image`: the field `image` of the list's second item.
    const list = own<HTMLElement>(`[data-array-list="${CSS.escape(name)}"]`);
    const item = list?.querySelectorAll(':scope > [data-array-items] > .array-item')[Number(path[n])];
    if (item) return fieldForErrorIn(item, path.slice(n + 1));
    if (list) return null;
  }
  return null;
}
