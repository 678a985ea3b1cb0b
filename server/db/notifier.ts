/**
 * PostgreSQL LISTEN/NOTIFY between queens that share one database. With the embedded
 * PGlite there is only ever one queen, so there is nothing to relay and the notifier
 * does nothing.
 */
import type postgres from 'postgres';

export interface Notifier {
  /** Whether other queens may exist (a shared PostgreSQL). */
  readonly shared: boolean;
  notify(channel: string, payload: string): Promise<void>;
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
}

export const localNotifier: Notifier = {
  shared: false,
  notify: async () => {},
  listen: async () => async () => {},
};

export function postgresNotifier(client: postgres.Sql): Notifier {
  return {
    shared: true,
    async notify(channel, payload) {
      await client.notify(channel, payload);
    },
    async listen(channel, onPayload) {
      const { unlisten } = await client.listen(channel, onPayload);
      return unlisten;
    },
  };
}
