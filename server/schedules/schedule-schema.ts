/**
 * A project's `schedules` as the API takes them (`POST`/`PATCH /api/projects`): names
 * unique in the project, each cron expression and time zone checked when saved, so a
 * schedule that could never fire is refused with its name instead of failing silently.
 */
import { z } from 'zod';
import { JOB_TYPES } from '../../common/protocol/index.ts';
import { checkTimeZone, cronTimes, CronError } from './cron-times.ts';

/** Branch names as the rest of the API takes them; passed in to keep this file free of route code. */
export function schedulesSchema(branchName: z.ZodType<string>) {
  const schedule = z.strictObject({
    /** Firings are remembered by name: renaming a schedule starts it afresh. */
    name: z.string().trim().min(1).max(100).regex(/^[\w.\- ]+$/, 'may contain letters, digits, spaces, ".", "_" and "-"'),
    cron: z.string().trim().min(1).max(200),
    /** Default: the project's default branch at the time of each firing. */
    branch: branchName.optional(),
    type: z.enum(JOB_TYPES).optional(),
    /** Parameter values of the jobs it starts (checked against the project's parameters when it fires). */
    params: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be a parameter name (A-Z, 0-9, _)').max(100), z.string().max(10_000)).optional(),
    /** Default true; a disabled schedule never fires, and does not catch up when enabled again. */
    enabled: z.boolean().optional(),
    /** IANA time zone the cron expression is read in; default: the queen's. */
    timezone: z.string().trim().min(1).max(100).optional(),
  });

  return z.array(schedule).max(50).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `schedule "${s.name}" is named twice; names must be unique` });
      seen.add(s.name);
      if (s.timezone !== undefined) {
        try {
          checkTimeZone(s.timezone);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: [i, 'timezone'], message: `schedule "${s.name}": ${(err as Error).message}` });
          return;
        }
      }
      try {
        cronTimes(s.cron, s.timezone);
      } catch (err) {
        if (!(err instanceof CronError)) throw err;
        ctx.addIssue({ code: 'custom', path: [i, 'cron'], message: `schedule "${s.name}": ${err.message}` });
      }
    });
  });
}

export type ScheduleInput = z.output<ReturnType<typeof schedulesSchema>>[number];
