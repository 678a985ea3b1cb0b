/**
 * Changes to the rows the queen keeps in memory (auth: users, tokens, sessions; jobs; projects),
 * heard from the database itself, so that a cache of them is exact (invalidated-reads.ts).
 *
 * Only the embedded database has one. There the queen is the database's only writer (its
 * data directory is locked), and PGlite delivers a commit's notifications before the
 * committing query returns to its caller — so by the time any write has finished, the
 * caches have dropped what it changed, whoever wrote it and however (a cascade from a
 * removed user included). The triggers are in migrations 0013 and 0014; they notify only in a
 * session that set `hive.change_feed`, which only this one does — on PostgreSQL, whose
 * notifications reach other queens later and could be missed while a listener
 * reconnects, nobody sets it and the queen reads through FreshReads instead.
 */
import type { PGlite } from '@electric-sql/pglite';

export interface ChangeFeed {
  /** Users, API or drone tokens, or sessions changed. */
  onAuthChanged(listener: () => void): void;
  /** A job row was inserted, updated or deleted; '' when every job may have changed. */
  onJobChanged(listener: (jobId: string) => void): void;
  /** A project row was inserted, updated or deleted; '' when every project may have changed. */
  onProjectChanged(listener: (projectId: string) => void): void;
}

export async function openPgliteChangeFeed(client: PGlite): Promise<ChangeFeed> {
  const auth: (() => void)[] = [];
  const jobs: ((jobId: string) => void)[] = [];
  const projects: ((projectId: string) => void)[] = [];
  await client.listen('hive_auth_changed', () => {
    for (const listener of auth) listener();
  });
  await client.listen('hive_job_changed', (jobId) => {
    for (const listener of jobs) listener(jobId);
  });
  await client.listen('hive_project_changed', (projectId) => {
    for (const listener of projects) listener(projectId);
  });
  // Last: a change is announced only once someone listens.
  await client.exec(`set hive.change_feed = 'on'`);
  return {
    onAuthChanged: (listener) => void auth.push(listener),
    onJobChanged: (listener) => void jobs.push(listener),
    onProjectChanged: (listener) => void projects.push(listener),
  };
}
