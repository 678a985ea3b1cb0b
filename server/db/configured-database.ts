/**
 * The database a queen's configuration names, for tools that open it beside or instead of
 * the queen (`hive users`): PostgreSQL at `DATABASE_URL`, else the embedded PGlite under
 * `<data dir>/db` — the same place `startQueen` opens.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { QueenConfig } from '../config.ts';
import type { DatabaseOptions } from './client.ts';

type Where = Pick<QueenConfig, 'databaseUrl' | 'dataDir'>;

export const embeddedDatabaseDir = (config: Where) => join(config.dataDir, 'db');

export function configuredDatabase(config: Where): DatabaseOptions {
  return config.databaseUrl ? { url: config.databaseUrl } : { dataDir: embeddedDatabaseDir(config) };
}

/**
 * Whether a process has the embedded database open now. PGlite takes no lock against a
 * second process (which would corrupt it) but, like PostgreSQL, keeps `postmaster.pid` in
 * its directory while open and removes it when closed — so the file means "in use", or a
 * queen that was killed rather than stopped. PostgreSQL serves many clients: never "in use".
 */
export function embeddedDatabaseInUse(config: Where): boolean {
  return !config.databaseUrl && existsSync(join(embeddedDatabaseDir(config), 'postmaster.pid'));
}

/** Which database, in words for a message: never the URL's password. */
export function describeDatabase(config: Where): string {
  if (!config.databaseUrl) return `the embedded database in ${embeddedDatabaseDir(config)}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL ${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
}
