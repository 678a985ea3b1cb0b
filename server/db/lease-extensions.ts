/**
 * Leases extended in bulk: a queen's presence pass extends, in one statement, every lease
 * its drones vouched for in a heartbeat since the last pass (queen-presence.ts) — instead
 * of one UPDATE per heartbeat. A pair names a drone and a lease it holds; a lease the
 * drone no longer holds (re-queued, reassigned) is left alone.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { jobs } from './schema.ts';

export async function extendVouchedLeases(db: Db, vouched: { droneId: string; lease: string }[], leaseMs: number): Promise<void> {
  if (vouched.length === 0) return;
  const values = sql.join(vouched.map((v) => sql`(${v.droneId}::uuid, ${v.lease}::text)`), sql`, `);
  await db.execute(sql`
    update ${jobs} set lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
    from (values ${values}) as v(drone_id, lease)
    where ${jobs.droneId} = v.drone_id and ${jobs.lease} = v.lease and ${jobs.status} in ('assigned', 'running')`);
}
