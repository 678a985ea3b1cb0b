/**
 * Queries on webhook deliveries. A delivery is claimed (inserted) before any job is
 * created: the unique index on (provider, delivery id) makes a redelivery — GitHub's
 * "Redeliver", a retry after a timeout, two queens receiving the same request — find the
 * first one's record instead of creating a second job.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from './client.ts';
import { webhookDeliveries } from './schema.ts';

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

/** The outcome of a delivery whose jobs are still being created. */
export const PROCESSING = 'processing';

export interface NewDelivery {
  provider: 'github' | 'gitlab';
  deliveryId: string;
  event: string;
  projectId: string;
}

/** Inserts the delivery as `processing`; undefined when this delivery id was seen before. */
export async function claimDelivery(db: Db, input: NewDelivery): Promise<WebhookDelivery | undefined> {
  const [row] = await db
    .insert(webhookDeliveries)
    .values({ id: randomUUID(), ...input, outcome: PROCESSING })
    .onConflictDoNothing({ target: [webhookDeliveries.provider, webhookDeliveries.deliveryId] })
    .returning();
  return row;
}

export async function findDelivery(db: Db, provider: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.provider, provider as 'github'), eq(webhookDeliveries.deliveryId, deliveryId)));
  return row;
}

export async function recordDeliveryOutcome(db: Db, id: string, outcome: string, jobIds: string[]): Promise<void> {
  await db.update(webhookDeliveries).set({ outcome, jobIds }).where(eq(webhookDeliveries.id, id));
}

/** Forgets a claimed delivery whose handling failed, so the forge's retry can succeed. */
export async function releaseDelivery(db: Db, id: string): Promise<void> {
  await db.delete(webhookDeliveries).where(eq(webhookDeliveries.id, id));
}

/** A project's latest deliveries, newest first (for the API and the UI). */
export async function listProjectDeliveries(db: Db, projectId: string, limit = 50): Promise<WebhookDelivery[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.projectId, projectId))
    .orderBy(desc(webhookDeliveries.receivedAt))
    .limit(limit);
}
