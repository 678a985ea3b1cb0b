import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlugins } from '../../plugins/loader.ts';
import { SchemaFields, fieldKind, htmlPattern, type JsonSchema } from '../../web/components/schema-fields.tsx';

const registry = await loadPlugins({ names: [], resolveFrom: process.cwd() });
const schemaOf = (name: string) => registry.get(name)!.jsonSchema as JsonSchema;
const render = async (schema: JsonSchema, value: unknown) => String(await (SchemaFields({ schema, value, idPrefix: 'p0' }) as any).toString());

describe('plugin config forms from JSON Schema', () => {
  it('picks an editor per property of the built-in plugins', () => {
    const kinds = (name: string) => Object.fromEntries(Object.entries(schemaOf(name).properties!).map(([k, s]) => [k, fieldKind(s)]));
    assert.deepEqual(kinds('node'), { version: 'string', image: 'boolean', install: 'string', scripts: 'lines' });
    assert.deepEqual(kinds('docker'), { image: 'string', pull: 'string', privileged: 'boolean', memoryMb: 'int', cpus: 'number', services: 'objects' });
    assert.deepEqual(kinds('env'), { vars: 'env', secrets: 'env' });
    assert.deepEqual(kinds('webhook-notify'), { url: 'string', on: 'set', headers: 'env' });
    assert.equal(fieldKind(schemaOf('custom')), 'object');
    assert.equal(fieldKind({ type: 'object', properties: { a: { type: 'string' } } }), 'object');
    assert.equal(fieldKind({ anyOf: [{ type: 'string' }] } as JsonSchema), 'json');
    const nested = { type: 'array', items: { type: 'object', properties: { inner: { type: 'object', properties: { a: { type: 'string' } } } } } };
    assert.equal(fieldKind(nested), 'json', 'objects deeper than flat fields stay JSON');
    assert.equal(fieldKind({ type: ['string', 'null'] }), 'json');
  });

  it('passes a pattern to the browser only when the browser (v flag) can compile it', () => {
    assert.equal(htmlPattern('^[A-Za-z_][A-Za-z0-9_]*$'), '[A-Za-z_][A-Za-z0-9_]*');
    assert.equal(htmlPattern('^[\\w.-]+$'), undefined, 'an unescaped "-" in a class is an error with the v flag');
    assert.equal(htmlPattern(undefined), undefined);
  });

  it('renders current values, leaves defaults as placeholders, and marks required fields', async () => {
    const node = await render(schemaOf('node'), { version: '22', scripts: ['lint', 'test'] });
    assert.match(node, /<input id="p0-version" name="version" type="text" value="22"[^>]*placeholder="20"/);
    assert.match(node, /name="image" data-kind="boolean" checked=""/, 'a boolean shows its default when unset');
    assert.match(node, /<option value="">default \(ci\)<\/option>/);
    assert.match(node, /<textarea id="p0-scripts" name="scripts" data-kind="lines"[^>]*>lint\ntest<\/textarea>/);

    const notify = await render(schemaOf('webhook-notify'), {});
    assert.match(notify, /<label for="p0-url">URL<span class="req"/);
    // A secret field (webhook-notify's url): a password input, never a value, required only while unset.
    assert.match(notify, /name="url" type="password" value=""[^>]*required=""/);
    assert.match(notify, /Write-only: not set/);
    assert.match(notify, /name="on" data-kind="set" value="passed" checked=""/);
    assert.match(notify, /name="on" data-kind="set" value="cancelled"\/>/, 'not in the default set');

    const docker = await render(schemaOf('docker'), { services: [{ name: 'db', image: 'postgres:16', env: { A: '1' } }] });
    const services = /<fieldset class="schema-field schema-objects" data-array-list="services"[\s\S]*?<\/fieldset>(?=<div class="schema-field">|$)/.exec(docker)?.[0] ?? '';
    assert.match(services, /<li class="array-item" data-fields-scope=""><div class="schema-field"><label for="p0-services-0-name">Name<span class="req"[^>]*> \*<\/span><\/label><input id="p0-services-0-name" name="name" type="text" value="db"/);
    assert.match(services, /name="image" type="text" value="postgres:16"/);
    assert.match(services, /name="env" data-kind="env"[^>]*>A=1<\/textarea>/);
    assert.match(services, /<button type="button" class="small" data-array-add="">Add service<\/button><template data-array-template=""><li class="array-item" data-fields-scope=""><div class="schema-field"><label for="p0-services-__I__-name">/);
    assert.match(docker, /<label for="p0-memoryMb">Memory MB<\/label><input id="p0-memoryMb" name="memoryMb" type="number" data-kind="int"[^>]*step="1" min="4"/);
  });

  it('escapes what it shows', async () => {
    const html = await render({ type: 'object', properties: { title: { type: 'string', description: '<b>bold</b>' } } }, { title: '"><script>' });
    assert.ok(!html.includes('<script>') && !html.includes('<b>'));
  });
});
