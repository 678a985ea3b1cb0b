/** The ids of projects, jobs and users are UUIDs; API paths and live subscriptions check them alike. */
import { z } from 'zod';

export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
