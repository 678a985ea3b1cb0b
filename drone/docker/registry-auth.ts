/**
 * Credentials for pulling images from registries that need a login, as `docker pull` on
 * the drone's host would find them: in the Docker client's configuration (`config.json`
 * in `--docker-config`, `DOCKER_CONFIG` or `~/.docker`, what `docker login` writes) —
 * its `auths` (a base64 `user:password`, or an identity token), and its credential
 * helpers (`credHelpers` per registry, `credsStore` for the rest: the program
 * `docker-credential-<name>`, asked with `get`).
 *
 * The credentials are the drone operator's: they stay on the drone's host, go to the
 * engine with the pull and nowhere else — never into a job's log, spec or environment.
 * The file is read at each pull that needs it (a `docker login` after the drone started
 * counts), and a file that is missing means no credentials, as for `docker pull`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** What the engine takes with a pull (`X-Registry-Auth`), as dockerode's `authconfig`. */
export type RegistryCredentials =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

/** The credentials for an image's registry, or why there are none. */
export interface RegistryLogin {
  /** The registry's host (`docker.io` for Docker Hub), as the configuration names it. */
  registry: string;
  credentials?: RegistryCredentials;
  /** Where they came from, or why none were found — for a failed pull's message (no secret in it). */
  source: string;
}

/** Runs `docker-credential-<helper> get` with the registry on stdin; its stdout. */
export type CredentialHelperRun = (helper: string, registry: string) => Promise<string>;

const HELPER_TIMEOUT_MS = 10_000;

export const runCredentialHelper: CredentialHelperRun = (helper, registry) => new Promise((resolve, reject) => {
  const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
    if (err) reject(err);
    else resolve(stdout);
  });
  child.stdin?.end(registry);
});

/** Docker Hub goes by several names in configurations. */
const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry of an image reference: its first component when that names a host (has a
 * dot or a port, or is `localhost`), else Docker Hub — the engine's own rule.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return normalizeRegistry(first);
  return DOCKER_HUB;
}

/** A configuration key (`https://index.docker.io/v1/`, `ghcr.io`, `http://host:5000`) as a bare host. */
export function normalizeRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

interface DockerClientConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export class DockerConfigLogins {
  constructor(
    /** The configuration file (`<dir>/config.json`). */
    private readonly file: string,
    private readonly runHelper: CredentialHelperRun = runCredentialHelper,
  ) {}

  /** The login for `image`'s registry (never throws: a broken configuration is a `source` saying so). */
  async forImage(image: string): Promise<RegistryLogin> {
    const registry = registryOf(image);
    let config: DockerClientConfig;
    try {
      config = JSON.parse(await readFile(this.file, 'utf8')) as DockerClientConfig;
      if (typeof config !== 'object' || config === null) throw new Error('not a JSON object');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { registry, source: `no credentials for ${registry} (${this.file} does not exist)` };
      return { registry, source: `no credentials for ${registry}: ${this.file} could not be read (${(err as Error).message})` };
    }
    const helper = helperFor(config, registry);
    if (helper) return this.#fromHelper(helper, registry);
    const entry = Object.entries(config.auths ?? {}).find(([key]) => normalizeRegistry(key) === registry)?.[1];
    const credentials = entry && credentialsOf(entry, registry);
    if (credentials) return { registry, credentials, source: `the credentials for ${registry} in ${this.file}` };
    if (config.credsStore) return this.#fromHelper(config.credsStore, registry);
    return { registry, source: `no credentials for ${registry} in ${this.file}` };
  }

  async #fromHelper(helper: string, registry: string): Promise<RegistryLogin> {
    const source = `the credentials for ${registry} from docker-credential-${helper}`;
    // Helpers are asked by the name they stored; Docker Hub's is its v1 address.
    const asked = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
    let answer: { Username?: unknown; Secret?: unknown };
    try {
      answer = JSON.parse(await this.runHelper(helper, asked)) as typeof answer;
    } catch (err) {
      // A helper that knows no credentials for the registry exits non-zero ("credentials not found").
      return { registry, source: `no credentials for ${registry} from docker-credential-${helper} (${firstLine(err)})` };
    }
    if (typeof answer?.Username !== 'string' || typeof answer.Secret !== 'string' || answer.Secret === '') {
      return { registry, source: `no credentials for ${registry} from docker-credential-${helper} (it answered no secret)` };
    }
    // "<token>" as the user name marks an identity (OAuth refresh) token, as in Docker's CLI.
    const credentials: RegistryCredentials = answer.Username === '<token>'
      ? { identitytoken: answer.Secret, serveraddress: asked }
      : { username: answer.Username, password: answer.Secret, serveraddress: asked };
    return { registry, credentials, source };
  }
}

function helperFor(config: DockerClientConfig, registry: string): string | undefined {
  return Object.entries(config.credHelpers ?? {}).find(([key]) => normalizeRegistry(key) === registry)?.[1];
}

function credentialsOf(entry: NonNullable<DockerClientConfig['auths']>[string], registry: string): RegistryCredentials | undefined {
  const serveraddress = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress };
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password, serveraddress };
  return undefined;
}

/** An error's first line, without anything a helper might have echoed after it. */
function firstLine(err: unknown): string {
  const text = (err as { stderr?: string }).stderr?.trim() || (err as Error).message || String(err);
  return text.split('\n')[0].slice(0, 200);
}
