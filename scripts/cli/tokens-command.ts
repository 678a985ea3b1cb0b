/**
 * `hive tokens list|rotate admin|drone` (admins): the bootstrap tokens, through the API.
 * `list` shows them and, after them, the caller's personal tokens; `rotate` prints the new
 * token once, on stdout alone, so `hive tokens rotate drone > file` keeps it out of sight.
 */
import { api, ApiError } from './client.ts';
import { CliUsageError, type loadCliConfig } from './config.ts';

type Config = ReturnType<typeof loadCliConfig>;
type Out = { write(text: string): void; error(text: string): void };
interface TokenView { id: string; name: string; kind?: string; active?: boolean; createdAt: string | null; lastUsedAt: string | null; revokedAt: string | null }

const state = (t: TokenView) => (t.revokedAt ? `revoked ${t.revokedAt}` : `active, last used ${t.lastUsedAt ?? 'never'}`);

export async function tokensCommand(config: Config, positional: string[], out: Out): Promise<number> {
  const [sub, kind] = positional;
  switch (sub) {
    case 'list': {
      const { tokens } = await api(config, 'GET', '/api/tokens/bootstrap') as { tokens: TokenView[] };
      out.write('bootstrap tokens:\n');
      for (const t of tokens) out.write(`${t.id}  ${String(t.kind).padEnd(5)}  ${t.name}  created ${t.createdAt}  ${state(t)}\n`);
      try {
        const mine = (await api(config, 'GET', '/api/tokens') as { tokens: TokenView[] }).tokens;
        out.write('your personal tokens:\n');
        for (const t of mine) out.write(`${t.id}  ${t.name}  created ${t.createdAt}  ${state(t)}\n`);
      } catch (err) {
        // The bootstrap admin token stands for the `admin` user; without that user it has no personal tokens.
        if (!(err instanceof ApiError && err.status === 400)) throw err;
      }
      return 0;
    }
    case 'rotate': {
      if (kind !== 'admin' && kind !== 'drone') throw new CliUsageError('hive tokens rotate needs admin or drone');
      const made = await api(config, 'POST', `/api/tokens/bootstrap/${kind}/rotate`);
      const dropped = made.disconnected.length ? `; disconnected drones: ${made.disconnected.join(', ')}` : '';
      out.error(`new ${kind} bootstrap token (${made.id}); the old one is revoked${dropped}. ` +
        `Update or remove HIVE_${kind.toUpperCase()}_TOKEN (the old value stays revoked). Shown this once:\n`);
      out.write(`${made.token}\n`);
      return 0;
    }
    default:
      throw new CliUsageError('hive tokens needs list or rotate');
  }
}
