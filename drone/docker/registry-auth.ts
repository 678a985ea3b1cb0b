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
 * A project's own logins (in its job's assignment, `jobLogins`) come first for their
 * registries.
 * The file is read at each pull that needs it (a `docker login` after the drone started
 * counts), and a file that is missing means no credentials, as for `docker pull`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { ProjectRegistryLogin } from '../../common/protocol/index.ts';
import { DOCKER_HUB, normalizeRegistry, registryOf } from '../../common/registry-names.ts';

export { normalizeRegistry, registryOf };

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

/** Where an image's login comes from (the executor's view of this module). */
export type RegistryLogins = Pick<DockerConfigLogins, 'forImage'>;

/** The address the engine and helpers know a registry by: Docker Hub's is its v1 URL. */
const serverAddress = (registry: string) => (registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry);

/**
 * A job's logins: the project's for an image's registry (they came with the assignment:
 * server/jobs/registry-logins.ts), else the drone host's.
 */
export function jobLogins(project: readonly ProjectRegistryLogin[] | undefined, host: RegistryLogins | undefined): RegistryLogins | undefined {
  if (!project?.length) return host;
  return {
    forImage: async (image) => {
      const registry = registryOf(image);
      const login = project.find((l) => normalizeRegistry(l.registry) === registry);
      if (login) {
        const credentials = { username: login.username, password: login.password, serveraddress: serverAddress(registry) };
        return { registry, credentials, source: `the project's login for ${registry}` };
      }
      return host ? host.forImage(image) : { registry, source: `no credentials for ${registry} (the project has none for it)` };
    },
  };
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
    const asked = serverAddress(registry);
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
  const serveraddress = serverAddress(registry);
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
