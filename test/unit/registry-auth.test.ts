/**
 * The drone host's registry logins (drone/docker/registry-auth.ts): an image's registry
 * by the engine's rule, and the credentials for it from a Docker client configuration —
 * `auths` in each of its shapes, Docker Hub under any of its names, credential helpers
 * per registry and as the store, and a missing, broken or silent source saying why there
 * are none (never with a secret in it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerConfigLogins, normalizeRegistry, registryOf, type CredentialHelperRun } from '../../drone/docker/registry-auth.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-registry-auth-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function configFile(config: unknown): Promise<string> {
  const file = join(dir, `config-${++files}.json`);
  await writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('registryOf', () => {
  it('takes the first component when it names a host, else Docker Hub', () => {
    assert.equal(registryOf('busybox'), 'docker.io');
    assert.equal(registryOf('busybox:1.36'), 'docker.io');
    assert.equal(registryOf('library/busybox'), 'docker.io');
    assert.equal(registryOf('acme/app:2@sha256:' + 'a'.repeat(64)), 'docker.io');
    assert.equal(registryOf('ghcr.io/acme/app:2'), 'ghcr.io');
    assert.equal(registryOf('registry.example.com:5000/team/app'), 'registry.example.com:5000');
    assert.equal(registryOf('localhost/app'), 'localhost');
    assert.equal(registryOf('127.0.0.1:5000/app:1'), '127.0.0.1:5000');
    assert.equal(registryOf('docker.io/library/busybox'), 'docker.io');
    assert.equal(registryOf('index.docker.io/library/busybox'), 'docker.io');
  });

  it('reads configuration keys as hosts', () => {
    assert.equal(normalizeRegistry('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeRegistry('https://GHCR.io'), 'ghcr.io');
    assert.equal(normalizeRegistry('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });
});

describe('DockerConfigLogins', () => {
  it('finds the credentials of auths: base64, user and password, identity token; Docker Hub under its v1 key', async () => {
    const file = await configFile({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'ghcr.io': { username: 'octo', password: 'ghp_x' },
        'https://registry.example.com': { identitytoken: 'refresh-token' },
      },
    });
    const logins = new DockerConfigLogins(file);
    assert.deepEqual((await logins.forImage('busybox')).credentials, { username: 'hubuser', password: 'hub:pass', serveraddress: 'https://index.docker.io/v1/' });
    assert.deepEqual((await logins.forImage('ghcr.io/acme/app')).credentials, { username: 'octo', password: 'ghp_x', serveraddress: 'ghcr.io' });
    assert.deepEqual((await logins.forImage('registry.example.com/x')).credentials, { identitytoken: 'refresh-token', serveraddress: 'registry.example.com' });
    const none = await logins.forImage('quay.io/other/app');
    assert.equal(none.credentials, undefined);
    assert.equal(none.source, `no credentials for quay.io in ${file}`);
  });

  it('asks a credential helper: per registry first, then the store, and never for what auths has', async () => {
    const asked: string[] = [];
    const helper: CredentialHelperRun = async (name, registry) => {
      asked.push(`${name} ${registry}`);
      if (registry === 'unknown.example') throw Object.assign(new Error('Command failed: docker-credential-store get'), { stderr: 'credentials not found in native keychain\n' });
      if (registry === 'silent.example') return JSON.stringify({ Username: 'x', Secret: '' });
      return JSON.stringify({ ServerURL: registry, Username: name === 'gcloud' ? '<token>' : 'robot', Secret: `secret-of-${registry}` });
    };
    const file = await configFile({ credHelpers: { 'gcr.io': 'gcloud' }, credsStore: 'store', auths: { 'ghcr.io': { auth: b64('octo:pw') } } });
    const logins = new DockerConfigLogins(file, helper);
    assert.deepEqual((await logins.forImage('gcr.io/p/app')).credentials, { identitytoken: 'secret-of-gcr.io', serveraddress: 'gcr.io' });
    assert.deepEqual((await logins.forImage('busybox')).credentials, { username: 'robot', password: 'secret-of-https://index.docker.io/v1/', serveraddress: 'https://index.docker.io/v1/' });
    assert.deepEqual((await logins.forImage('ghcr.io/a/b')).credentials, { username: 'octo', password: 'pw', serveraddress: 'ghcr.io' });
    const unknown = await logins.forImage('unknown.example/a');
    assert.equal(unknown.credentials, undefined);
    assert.equal(unknown.source, 'no credentials for unknown.example from docker-credential-store (credentials not found in native keychain)');
    assert.match((await logins.forImage('silent.example/a')).source, /it answered no secret/);
    assert.deepEqual(asked, ['gcloud gcr.io', 'store https://index.docker.io/v1/', 'store unknown.example', 'store silent.example']);
  });

  it('has none, and says why, for a missing or broken configuration', async () => {
    const missing = await new DockerConfigLogins(join(dir, 'nope', 'config.json')).forImage('ghcr.io/a/b');
    assert.deepEqual(missing, { registry: 'ghcr.io', source: `no credentials for ghcr.io (${join(dir, 'nope', 'config.json')} does not exist)` });
    const broken = await configFile('{"auths": ');
    assert.match((await new DockerConfigLogins(broken).forImage('ghcr.io/a/b')).source, new RegExp(`^no credentials for ghcr\\.io: ${broken.replace(/[.]/g, '\\.')} could not be read \\(.+\\)$`));
    const notObject = await configFile('"text"');
    assert.equal((await new DockerConfigLogins(notObject).forImage('a.io/b')).credentials, undefined);
  });
});
