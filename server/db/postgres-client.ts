/** Opens PostgreSQL at a URL through the `postgres` driver and applies pending migrations. */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database, Db } from './client.ts';
import { refuseNewerSchema } from './migration-level.ts';
import { migrateUnderLock } from './postgres-migrate.ts';
import { postgresNotifier } from './notifier.ts';
import { openPostgresProjectFeed, PROJECT_ROW_TTL_MS } from './project-change-feed.ts';
import { shareProjectReads } from './projects.ts';
import * as schema from './schema.ts';

export async function openPostgres(url: string, maxConnections: number): Promise<Database> {
  const client = postgres(url, { max: maxConnections, onnotice: () => {} });
  const db = drizzle(client, { schema });
  let projectChanges: Awaited<ReturnType<typeof openPostgresProjectFeed>>;
  try {
    await migrateUnderLock(client, db);
    await refuseNewerSchema(db as unknown as Db);
    projectChanges = await openPostgresProjectFeed(client);
  } catch (err) {
    // Not opened: no connection is left behind to keep the process alive.
    await client.end({ timeout: 5 });
    throw err;
  }
  shareProjectReads(db as unknown as Db, projectChanges, PROJECT_ROW_TTL_MS);
  const notifier = postgresNotifier(client);
  const close = async () => {
    // Every channel given up before the client ends (notifier.ts says why); the connection
    // may be gone already: ending it is what counts.
    await Promise.all([projectChanges.close().catch(() => {}), notifier.unlistenAll()]);
    await client.end({ timeout: 5 });
  };
  return { db: db as unknown as Db, kind: 'postgres', notifier, close };
}
