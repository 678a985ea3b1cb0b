/**
 * Form fields generated from a plugin's config JSON Schema (as `GET /api/plugins` serves
 * it, made by zod's toJSONSchema). Each field's `name` is its path inside the plugin's
 * config and its `data-kind` says how api-forms.ts turns its text back into JSON:
 *
 *   string (enum → select, format uri → url input) · integer/number → number input ·
 *   boolean → checkbox (sent as true/false) · array of strings → one per line ·
 *   array of enum strings → a checkbox per value · object of strings → NAME=value lines ·
 *   object with properties → a nested fieldset · array of such flat objects → a sub-form
 *   per item, with Add and Remove (web/client/array-fields.ts) · anything else → JSON.
 *
 * An empty field leaves its key out, so the plugin's default applies; defaults are shown
 * as placeholders. Check boxes cannot be empty, so booleans and sets are always sent.
 */
import type { Child } from 'hono/jsx';

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  /** A write-only field (zod `.meta({ secret: true })`): its value is never shown. */
  secret?: boolean;
}

type Kind = 'string' | 'int' | 'number' | 'boolean' | 'lines' | 'set' | 'env' | 'object' | 'objects' | 'json';

/** What an item of a list of objects may hold to get a sub-form (anything deeper is JSON). */
const FLAT_KINDS: Kind[] = ['string', 'int', 'number', 'boolean', 'lines', 'set', 'env'];

const types = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
const isStringEnum = (s: JsonSchema | undefined) => !!s?.enum?.length && s.enum.every((v) => typeof v === 'string');

/** How a schema is edited; exported for its unit tests. */
export function fieldKind(s: JsonSchema): Kind {
  const t = types(s);
  if (t.length === 1) {
    switch (t[0]) {
      case 'string': return 'string';
      case 'integer': return 'int';
      case 'number': return 'number';
      case 'boolean': return 'boolean';
      case 'array':
        if (isStringEnum(s.items)) return 'set';
        if (s.items && types(s.items).join() === 'string') return 'lines';
        // A list of flat objects (docker services): a sub-form per item.
        if (s.items && fieldKind(s.items) === 'object' && Object.values(s.items.properties!).every((p) => FLAT_KINDS.includes(fieldKind(p)))) return 'objects';
        return 'json';
      case 'object': {
        if (s.properties && Object.keys(s.properties).length) return 'object';
        const values = typeof s.additionalProperties === 'object' ? types(s.additionalProperties) : [];
        // Values that are strings, or scalars a string can stand for (`vars` of the env plugin).
        if (values.includes('string') && values.every((v) => ['string', 'number', 'boolean'].includes(v))) return 'env';
        return 'json';
      }
    }
  }
  return 'json';
}

/** A regex usable as an HTML `pattern` (browsers compile it with the `v` flag), or none. */
export function htmlPattern(pattern: string | undefined): string | undefined {
  if (!pattern) return undefined;
  const body = pattern.replace(/^\^/, '').replace(/\$$/, '');
  try {
    new RegExp(`^(?:${body})$`, 'v');
    return body;
  } catch {
    return undefined; // the queen checks it on save all the same
  }
}

const ACRONYMS: Record<string, string> = { url: 'URL', api: 'API', id: 'ID', cpus: 'CPUs', mb: 'MB', ssh: 'SSH', http: 'HTTP' };

/** `memoryMb` → "Memory MB", `webhook_url` → "Webhook URL". */
const humanize = (key: string) => key
  .replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_-]+/)
  .map((w, i) => ACRONYMS[w.toLowerCase()] ?? (i === 0 ? w[0].toUpperCase() + w.slice(1) : w.toLowerCase()))
  .join(' ');

const asText = (value: unknown) => (value === undefined || value === null ? '' : String(value));

function defaultHint(s: JsonSchema, kind: Kind): string | undefined {
  if (s.default === undefined || kind === 'boolean') return undefined;
  if (Array.isArray(s.default)) return s.default.length ? `default: ${s.default.join(kind === 'lines' ? ', ' : ', ')}` : undefined;
  if (typeof s.default === 'object') return Object.keys(s.default as object).length ? `default: ${JSON.stringify(s.default)}` : undefined;
  return `default: ${String(s.default)}`;
}

interface FieldProps {
  schema: JsonSchema;
  /** Path inside the config, dot-separated. */
  path: string;
  /** Unique prefix for element ids. */
  idPrefix: string;
  label: string;
  value: unknown;
  required: boolean;
  /** For secret fields: whether a value is stored (it is never sent to the page). */
  secretSet?: boolean;
}

function SchemaField({ schema, path, idPrefix, label, value: given, required: needed, secretSet }: FieldProps): Child {
  const kind = fieldKind(schema);
  const id = `${idPrefix}-${path.replaceAll('.', '-')}`;
  const hintId = `${id}-hint`;
  // Write-only: shown empty; left empty, the stored value stays (the queen keeps it).
  const value = schema.secret ? undefined : given;
  const required = schema.secret ? needed && !secretSet : needed;
  const secretHint = schema.secret ? (secretSet ? 'Write-only: set — leave empty to keep it' : 'Write-only: not set') : undefined;
  const hint = [schema.description, secretHint, schema.secret ? undefined : defaultHint(schema, kind)].filter(Boolean).join(' · ');
  const hintEl = hint ? <p class="hint" id={hintId}>{hint}</p> : '';
  const describedBy = hint ? hintId : undefined;
  const labelWith = (how?: string) => (
    <label for={id}>{label}{required ? <span class="req" aria-hidden="true"> *</span> : ''}{how ? <span class="hint-inline"> — {how}</span> : ''}</label>
  );
  const labelEl = labelWith();
  /** Lists, maps and JSON: a text area whose `data-kind` says how its text becomes JSON. */
  const textArea = (kind: Kind, how: string, text: string, placeholder?: string, rows = 3) => (
    <div class="schema-field">
      {labelWith(how)}
      <textarea id={id} name={path} data-kind={kind} rows={rows} required={required && kind !== 'env'} spellcheck={false}
        placeholder={placeholder} aria-describedby={describedBy}>
        {text}
      </textarea>
      {hintEl}
    </div>
  );

  switch (kind) {
    case 'boolean':
      return (
        <div class="schema-field">
          <label class="check"><input type="checkbox" id={id} name={path} data-kind="boolean" checked={value === undefined ? schema.default === true : value === true} aria-describedby={describedBy} /> {label}</label>
          {hintEl}
        </div>
      );
    case 'string':
      if (isStringEnum(schema)) {
        return (
          <div class="schema-field">
            {labelEl}
            <select id={id} name={path} required={required} aria-describedby={describedBy}>
              {required ? '' : <option value="">{schema.default !== undefined ? `default (${String(schema.default)})` : '—'}</option>}
              {(schema.enum as string[]).map((v) => <option value={v} selected={value === v}>{v}</option>)}
            </select>
            {hintEl}
          </div>
        );
      }
      return (
        <div class="schema-field">
          {labelEl}
          <input id={id} name={path} type={schema.secret ? 'password' : schema.format === 'uri' ? 'url' : 'text'} value={asText(value)} required={required}
            placeholder={schema.default !== undefined ? String(schema.default) : undefined} pattern={htmlPattern(schema.pattern)}
            minlength={schema.minLength} maxlength={schema.maxLength} spellcheck={false} autocomplete={schema.secret ? 'new-password' : 'off'} aria-describedby={describedBy} />
          {hintEl}
        </div>
      );
    case 'int':
    case 'number':
      return (
        <div class="schema-field">
          {labelEl}
          <input id={id} name={path} type="number" data-kind={kind} value={asText(value)} required={required}
            step={kind === 'int' ? 1 : 'any'} min={schema.minimum ?? schema.exclusiveMinimum}
            max={schema.maximum !== undefined && Math.abs(schema.maximum) < 1e15 ? schema.maximum : undefined}
            placeholder={schema.default !== undefined ? String(schema.default) : undefined} aria-describedby={describedBy} />
          {hintEl}
        </div>
      );
    case 'lines':
      return textArea('lines', 'one per line', Array.isArray(value) ? value.join('\n') : '',
        Array.isArray(schema.default) ? schema.default.join('\n') : undefined);
    case 'set': {
      const chosen = new Set(Array.isArray(value) ? value : Array.isArray(schema.default) ? schema.default : []);
      return (
        <fieldset class="schema-field schema-set" id={id} aria-describedby={describedBy}>
          <legend>{label}</legend>
          {(schema.items!.enum as string[]).map((v) => (
            <label class="check"><input type="checkbox" name={path} data-kind="set" value={v} checked={chosen.has(v)} /> {v}</label>
          ))}
          {hintEl}
        </fieldset>
      );
    }
    case 'env':
      return textArea('env', 'NAME=value per line',
        value && typeof value === 'object' ? Object.entries(value).map(([k, v]) => `${k}=${v}`).join('\n') : '');
    case 'objects': {
      const itemName = label.replace(/s$/, '').toLowerCase();
      const items = Array.isArray(value) ? value : [];
      return (
        <fieldset class="schema-field schema-objects" data-array-list={path} id={id} aria-describedby={describedBy}>
          <legend>{label}</legend>
          {hintEl}
          <ol class="array-items" data-array-items="">
            {items.map((item, i) => <ArrayItem schema={schema.items!} value={item} idPrefix={`${id}-${i}`} name={itemName} />)}
          </ol>
          <button type="button" class="small" data-array-add="">Add {itemName}</button>
          <template data-array-template="">
            <ArrayItem schema={schema.items!} value={{}} idPrefix={`${id}-__I__`} name={itemName} />
          </template>
        </fieldset>
      );
    }
    case 'object':
      return (
        <fieldset class="schema-field schema-object">
          <legend>{label}</legend>
          {schema.description ? <p class="hint">{schema.description}</p> : ''}
          <SchemaFields schema={schema} pathPrefix={`${path}.`} idPrefix={idPrefix} value={value} />
        </fieldset>
      );
    default:
      return textArea('json', 'JSON', value === undefined ? '' : JSON.stringify(value, null, 2),
        schema.default !== undefined ? JSON.stringify(schema.default) : undefined, 4);
  }
}

/** One object of a list: its own fields (a scope of its own in the form) and a Remove button. */
function ArrayItem({ schema, value, idPrefix, name }: { schema: JsonSchema; value: unknown; idPrefix: string; name: string }) {
  return (
    <li class="array-item" data-fields-scope="">
      <SchemaFields schema={schema} value={value} idPrefix={idPrefix} />
      <button type="button" class="small danger" data-array-remove="">Remove this {name}</button>
    </li>
  );
}

/** The fields of an object schema's properties, in schema order. */
export function SchemaFields({ schema, value, idPrefix, pathPrefix = '', secretsSet = [] }: { schema: JsonSchema; value: unknown; idPrefix: string; pathPrefix?: string; secretsSet?: string[] }) {
  const config = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p class="muted small">This plugin has no settings.</p>;
  const required = new Set(schema.required ?? []);
  return (
    <>
      {properties.map(([key, prop]) => (
        <SchemaField schema={prop} path={`${pathPrefix}${key}`} idPrefix={idPrefix} label={prop.title ?? humanize(key)} value={config[key]}
          required={required.has(key) && prop.default === undefined} secretSet={secretsSet.includes(key)} />
      ))}
    </>
  );
}
