/** The ids of projects, jobs and users are UUIDs; API paths and live subscriptions check them alike. */
import { z } from 'zod';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const uuid = z.string().regex(UUID);

/** Whether `id` can be an id at all (before asking the database, which would fail on it). */
export const isUuid = (id: string): boolean => UUID.test(id);
