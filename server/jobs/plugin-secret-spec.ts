/**
 * Keeps secret plugin field values out of a job's stored spec. A plugin passes such a
 * value to the job as an env var whose whole value it is (`env: { TOKEN: config.token }`):
 * that var leaves the spec's `env` for `secretRefs`, as a reference to the plugin field
 * (`plugin:<name>/<field>`), and the assignment adds the value back into `secrets`
 * (assignment-spec.ts), which the drone masks in all output like a project secret.
 *
 * A value anywhere else in what a plugin contributes — a command's text, part of an env
 * value, a service — would be stored and shown with the job, so resolution ends the job
 * `errored`, naming the plugin, the field and where the value was found. (Only plugins'
 * contributions are searched: a value an admin or `.hive.yml` wrote into commands is in
 * the settings or the repository already, and not a plugin's doing.)
 */
import type { JobSpec } from '../../common/protocol/index.ts';
import { ResolveError } from '../errors.ts';
import type { Contribution } from './build-spec.ts';
import type { SecretLeaf } from './plugin-secret-fields.ts';

const PREFIX = 'plugin:';

/** `plugin:<name>[#n]/<field>[/<key>…]`, parts URI-encoded; never a project secret's name (an env var name). */
export function pluginSecretRef(leaf: Omit<SecretLeaf, 'value'>): string {
  const name = leaf.n > 0 ? `${leaf.plugin}#${leaf.n}` : leaf.plugin;
  return PREFIX + [name, leaf.field, ...leaf.path].map(encodeURIComponent).join('/');
}

/** The leaf a `secretRefs` value points at, or undefined when it names a project secret. */
export function parsePluginSecretRef(ref: string): Omit<SecretLeaf, 'value'> | undefined {
  if (!ref.startsWith(PREFIX)) return undefined;
  const [name, field, ...path] = ref.slice(PREFIX.length).split('/').map(decodeURIComponent);
  if (!name || !field) return undefined;
  const m = /^(.*)#(\d+)$/.exec(name);
  return { plugin: m ? m[1] : name, n: m ? Number(m[2]) : 0, field, path };
}

export class PluginSecretInSpecError extends ResolveError {}

function describe(leaf: SecretLeaf, by: string): string {
  const field = `"${[leaf.field, ...leaf.path].join('.')}"`;
  return leaf.plugin === by ? `its secret field ${field}` : `plugin "${leaf.plugin}"'s secret field ${field}`;
}

/** Where in `value` (a spec) some leaf's value occurs, as a path like `phases.test[0].run`. */
function findLeaf(value: unknown, leaves: SecretLeaf[], path: string): { leaf: SecretLeaf; where: string } | undefined {
  if (typeof value === 'string') {
    const leaf = leaves.find((l) => value.includes(l.value));
    return leaf && { leaf, where: path };
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const hit = findLeaf(v, leaves, `${path}[${i}]`);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findLeaf(k, leaves, path ? `${path} (a key)` : '(a key)') ?? findLeaf(v, leaves, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * Throws when a plugin put a secret value anywhere but the whole value of an env var: its
 * commands (text or display), env values it is part of, image, container, services, labels.
 */
export function checkContributions(contributions: Contribution[], leaves: SecretLeaf[]): void {
  if (leaves.length === 0) return;
  for (const { plugin, contribution } of contributions) {
    const { env = {}, secretEnv: _names, ...rest } = contribution;
    // An env var whose whole value is a secret becomes a reference (separatePluginSecrets).
    const partial = Object.fromEntries(Object.entries(env).filter(([, v]) => !leaves.some((l) => l.value === v)));
    const hit = findLeaf({ ...rest, env: partial }, leaves, '');
    if (hit) {
      throw new PluginSecretInSpecError(
        `Plugin "${plugin}" put the value of ${describe(hit.leaf, plugin)} into ${hit.where} of what it adds to the job, `
        + 'which is stored and shown with the job. A secret plugin value may reach a job only as the whole value of an '
        + 'environment variable (phases: `env: { TOKEN: config.token }`, then "$TOKEN" in commands), which Hive passes '
        + 'as a secret and masks in the build\'s output',
      );
    }
  }
}

/** The spec with every env var whose whole value is a secret plugin value turned into a `secretRefs` reference. */
export function separatePluginSecrets(spec: JobSpec, leaves: SecretLeaf[]): JobSpec {
  if (leaves.length === 0) return spec;
  const env: Record<string, string> = {};
  const secretRefs: Record<string, string> = { ...spec.secretRefs };
  for (const [name, value] of Object.entries(spec.env)) {
    const leaf = leaves.find((l) => l.value === value);
    if (leaf) secretRefs[name] = pluginSecretRef(leaf);
    else env[name] = value;
  }
  return { ...spec, env, ...(Object.keys(secretRefs).length && { secretRefs }) };
}
