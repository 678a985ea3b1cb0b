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

/**
 * The notifier of a PostgreSQL client, with `unlistenAll` for closing it: postgres.js
 * listens again, on a connection it opens anew, to every channel still listened to when
 * its listening connection closes — `end()` included — so a channel a service had not
 * given up yet (or was still starting to listen to) would keep the process alive against
 * a database that is gone. The client's close unlistens everything first.
 */
export function postgresNotifier(client: postgres.Sql): Notifier & { unlistenAll(): Promise<void> } {
  const active = new Set<() => Promise<unknown>>();
  const starting = new Set<Promise<unknown>>();
  let closing = false;
  return {
    shared: true,
    async notify(channel, payload) {
      await client.notify(channel, payload);
    },
    async listen(channel, onPayload) {
      const started = client.listen(channel, onPayload);
      starting.add(started);
      let unlisten: () => Promise<unknown>;
      try {
        ({ unlisten } = await started);
      } finally {
        starting.delete(started);
      }
      // Listening began while the client was closing: given up at once.
      if (closing) await unlisten().catch(() => {});
      else active.add(unlisten);
      return async () => {
        active.delete(unlisten);
        await unlisten();
      };
    },
    async unlistenAll() {
      closing = true;
      await Promise.allSettled([...starting]);
      const all = [...active];
      active.clear();
      await Promise.allSettled(all.map((unlisten) => unlisten()));
    },
  };
}
