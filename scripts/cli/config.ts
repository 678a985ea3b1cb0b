/** The CLI's settings: where the queen is and the token to use (flags win over the environment). */
export interface CliConfig {
  url: string;
  token: string;
}

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export function loadCliConfig(flags: Record<string, string | boolean>, env: Record<string, string | undefined>): CliConfig {
  const url = String(flags.url ?? env.HIVE_URL ?? 'http://localhost:8080').replace(/\/$/, '');
  if (!/^https?:\/\//.test(url)) throw new CliUsageError(`Expected --url or HIVE_URL to be an http(s) URL, got "${url}"`);
  const token = flags.token ?? env.HIVE_TOKEN;
  if (typeof token !== 'string' || !token) throw new CliUsageError('Expected an API token in --token or HIVE_TOKEN');
  return { url, token };
}

/** The options a command takes: flags without a value, options with one, and options given any number of times. */
export interface KnownOptions {
  booleans: readonly string[];
  values: readonly string[];
  /** Each use adds a value (`--param A=1 --param B=2`), collected in order in `lists`. */
  repeatable?: readonly string[];
}

/**
 * Splits `--name value`, `--name=value` and `--flag` from positional arguments; an option
 * the command does not take is a usage error (exit 2), not silently ignored.
 */
export function parseArgs(argv: string[], known: KnownOptions): {
  positional: string[];
  flags: Record<string, string | boolean>;
  lists: Record<string, string[]>;
} {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (known.repeatable?.includes(name)) {
      const value = inline ?? (i + 1 < argv.length ? argv[++i] : undefined);
      if (value === undefined) throw new CliUsageError(`--${name} needs a value`);
      (lists[name] ??= []).push(value);
    } else if (known.booleans.includes(name)) flags[name] = true;
    else if (!known.values.includes(name)) throw new CliUsageError(`unknown option --${name}`);
    else if (inline !== undefined) flags[name] = inline;
    else if (i + 1 < argv.length) flags[name] = argv[++i];
    else throw new CliUsageError(`--${name} needs a value`);
  }
  return { positional, flags, lists };
}
