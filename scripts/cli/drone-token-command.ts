/** `hive drone-token create|list|revoke`: drones' own credentials, through the API (admins). */
import { api } from './client.ts';
import { CliUsageError, type loadCliConfig } from './config.ts';

type Config = ReturnType<typeof loadCliConfig>;
type Out = { write(text: string): void; error(text: string): void };
interface DroneTokenView { id: string; name: string; droneName: string | null; connected: string[]; lastUsedAt: string | null; revokedAt: string | null }

export async function droneTokenCommand(config: Config, positional: string[], shared: boolean, out: Out): Promise<number> {
  const [sub, arg] = positional;
  switch (sub) {
    case 'create': {
      if (!arg) throw new CliUsageError(shared ? 'hive drone-token create --shared needs a name for the token' : 'hive drone-token create needs the drone\'s name');
      const made = await api(config, 'POST', '/api/drone-tokens', shared ? { shared: true, name: arg } : { drone: arg });
      out.error(shared
        ? `shared drone token "${made.name}" created (${made.id}); it is shown this once:\n`
        : `token for drone "${made.droneName}" created (${made.id}); start the drone with --name "${made.droneName}" and this token (shown this once):\n`);
      out.write(`${made.token}\n`);
      return 0;
    }
    case 'list': {
      const { tokens } = await api(config, 'GET', '/api/drone-tokens') as { tokens: DroneTokenView[] };
      for (const t of tokens) {
        const who = t.droneName ? `drone ${t.droneName}` : `shared: ${t.name}`;
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : t.connected.length ? `connected: ${t.connected.join(', ')}` : `last used ${t.lastUsedAt ?? 'never'}`;
        out.write(`${t.id}  ${who}  ${state}\n`);
      }
      return 0;
    }
    case 'revoke': {
      if (!arg) throw new CliUsageError('hive drone-token revoke needs a token id or a drone name');
      const { tokens } = await api(config, 'GET', '/api/drone-tokens') as { tokens: DroneTokenView[] };
      const token = tokens.find((t) => !t.revokedAt && (t.id === arg || t.droneName === arg));
      if (!token) throw new CliUsageError(`No live drone token with id or drone name "${arg}"`);
      await api(config, 'DELETE', `/api/drone-tokens/${token.id}`);
      out.error(`revoked ${token.droneName ? `the token of drone "${token.droneName}"` : `shared token "${token.name}"`}; drones using it are disconnected\n`);
      return 0;
    }
    default:
      throw new CliUsageError('hive drone-token needs create, list or revoke');
  }
}
