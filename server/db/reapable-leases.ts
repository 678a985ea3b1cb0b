/**
 * The expired leases a queen may act on. With several queens a drone is connected to one
 * of them, which alone extends its jobs' leases and judges whether it still vouches for
 * them; the others must not reap a lease of a drone connected to a live queen, even when
 * it looks expired to them (that queen's writes may lag, its database link may hiccup).
 * A lease whose drone is connected nowhere — its queen died, or it left — is everyone's.
 */
import { and, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { ACTIVE_STATUSES, type Job } from './jobs.ts';
import { liveQueenIds } from './queens.ts';
import { drones, jobs } from './schema.ts';

/** Active jobs whose lease ran out, except those of drones connected to another live queen. */
export async function listReapableLeases(db: Db, queenId: string, limit: number): Promise<Job[]> {
  const elsewhere = db
    .select({ id: drones.id })
    .from(drones)
    .where(and(
      sql`${drones.connected}`,
      sql`${drones.queenId} <> ${queenId}`,
      inArray(drones.queenId, liveQueenIds(db)),
    ));
  return db
    .select()
    .from(jobs)
    .where(and(
      inArray(jobs.status, ACTIVE_STATUSES),
      lte(jobs.leaseExpiresAt, sql`now()`),
      sql`(${jobs.droneId} is null or ${jobs.droneId} not in (${elsewhere}))`,
    ))
    .limit(limit);
}
