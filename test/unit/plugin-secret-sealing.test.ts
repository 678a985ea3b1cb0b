/**
 * Secret plugin fields at rest and in specs: sealing and opening configs (old plain rows
 * pass through), the leaves of a secret value, env vars turned into references that the
 * assignment can resolve, and a value in a plugin's command text refused with its name.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox } from '../../server/auth/secret-box.ts';
import { PluginRegistry } from '../../plugins/loader.ts';
import { openPluginSecrets, sealPluginSecrets } from '../../server/jobs/sealed-plugin-config.ts';
import { leafValue, secretLeavesOf } from '../../server/jobs/plugin-secret-fields.ts';
import { checkContributions, parsePluginSecretRef, pluginSecretRef, separatePluginSecrets } from '../../server/jobs/plugin-secret-spec.ts';
import { pluginRedactor, redactDeep } from '../../server/jobs/plugin-redaction.ts';
import type { JobSpec } from '../../common/protocol/index.ts';

const box = new SecretBox(randomBytes(32));
const schema = (secret: string[]) => ({ properties: Object.fromEntries(['url', 'headers', 'on'].map((k) => [k, secret.includes(k) ? { secret: true } : {}])) });
const registry = new PluginRegistry(new Map([
  ['notify', { plugin: {} as never, builtIn: false, jsonSchema: schema(['url', 'headers']) }],
]), []);
const config = { url: 'https://chat.example.com/T0KEN', headers: { Authorization: 'Bearer abc/123' }, on: ['failed'] };

describe('sealing plugin configs', () => {
  it('seals the secret fields only, and opens them back', () => {
    const [sealed] = sealPluginSecrets(box, registry, [{ name: 'notify', enabled: true, config }]);
    const text = JSON.stringify(sealed);
    assert.ok(!text.includes('T0KEN') && !text.includes('abc/123'), text);
    assert.deepEqual(sealed.config.on, ['failed']);
    assert.match(JSON.stringify(sealed.config.url), /^\{"\$sealed":"v1\./);
    assert.deepEqual(openPluginSecrets(box, [sealed])[0].config, config);
    // Sealing twice leaves sealed values as they are.
    assert.deepEqual(sealPluginSecrets(box, registry, [sealed])[0], sealed);
  });

  it('passes plain values (rows from before sealing) and other plugins through', () => {
    const plain = [{ name: 'notify', config }, { name: 'other', config: { url: 'x' } }];
    assert.deepEqual(openPluginSecrets(box, plain), plain);
    assert.deepEqual(sealPluginSecrets(box, registry, plain)[1], plain[1]);
  });
});

describe('secret values in a job spec', () => {
  const leaves = secretLeavesOf(registry, [{ name: 'notify', config }]);
  const spec = { env: { A: 'https://chat.example.com/T0KEN', B: 'plain', C: 'Bearer abc/123' }, secrets: {} } as unknown as JobSpec;

  it('are the strings of the secret fields, header values included', () => {
    assert.deepEqual(leaves.map((l) => [l.field, l.path, l.value]), [
      ['url', [], config.url], ['headers', ['Authorization'], 'Bearer abc/123'],
    ]);
  });

  it('leave env for references that resolve to them', () => {
    const out = separatePluginSecrets(spec, leaves);
    assert.deepEqual(out.env, { B: 'plain' });
    assert.deepEqual(out.secretRefs, { A: 'plugin:notify/url', C: 'plugin:notify/headers/Authorization' });
    for (const [name, ref] of Object.entries(out.secretRefs!)) {
      assert.equal(leafValue([{ name: 'notify', config }], parsePluginSecretRef(ref)!), spec.env[name]);
    }
    assert.equal(parsePluginSecretRef('NPM_TOKEN'), undefined, 'a project secret name');
    const second = pluginSecretRef({ plugin: '@acme/p', n: 1, field: 'k', path: ['a/b'] });
    assert.deepEqual(parsePluginSecretRef(second), { plugin: '@acme/p', n: 1, field: 'k', path: ['a/b'] });
  });

  it('refuse a value in a command\'s text, naming plugin, field and where', () => {
    assert.throws(
      () => checkContributions([{ plugin: 'notify', requiresDrone: false, contribution: { commands: { test: [`curl ${config.url}`] } } }], leaves),
      /Plugin "notify" put the value of its secret field "url" into commands\.test\[0\] .*env: \{ TOKEN: config\.token \}/,
    );
    assert.throws(
      () => checkContributions([{ plugin: 'other', requiresDrone: false, contribution: { env: { AUTH: 'x Bearer abc/123' } } }], leaves),
      /Plugin "other" put the value of plugin "notify"'s secret field "headers\.Authorization" into env\.AUTH/,
    );
    checkContributions([{ plugin: 'notify', requiresDrone: false, contribution: { env: { URL: config.url }, commands: { test: ['curl "$URL"'] } } }], leaves);
  });
});

describe('redacting what a plugin logs or throws', () => {
  it('replaces its values in the message, the stack and the causes', () => {
    const redactor = pluginRedactor(registry, { name: 'notify', config });
    const err = new Error(`${config.url} answered 500`, { cause: new Error('Bearer abc/123 refused') });
    const clean = redactDeep(err, redactor) as Error;
    assert.equal(clean.message, '******** answered 500');
    assert.ok(!clean.stack!.includes('T0KEN'));
    assert.equal((clean.cause as Error).message, '******** refused');
    assert.equal(err.message, `${config.url} answered 500`, 'the original is untouched');
    assert.deepEqual(redactDeep({ url: config.url, n: 1 }, redactor), { url: '********', n: 1 });
  });
});
