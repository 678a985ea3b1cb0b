/**
 * A schedule's `params` must be what the project's parameters allow — checked when either
 * is saved, so a schedule never starts failing to fire because of a value it was given.
 * (They are checked once more at each firing, by fire-schedule.ts.)
 */
import type { ParameterDef } from '../db/schema.ts';
import { ValidationError } from '../errors.ts';
import { resolveParams } from '../jobs/job-params.ts';
import { isEnabled, type Schedule } from './schedule.ts';

/** Throws a ValidationError (400) naming the schedule whose params the parameters refuse. */
export function checkScheduleParams(schedules: readonly Schedule[], parameters: readonly ParameterDef[]): void {
  schedules.forEach((schedule, i) => {
    if (!isEnabled(schedule)) return; // checked when it is enabled again
    try {
      resolveParams(parameters, schedule.params);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const [, field = 'params', why = err.message] = /^(params(?:\.\w+)?): (.*)$/s.exec(err.message) ?? [];
      throw new ValidationError(`schedules[${i}].${field}: schedule "${schedule.name}": ${why}`, { cause: err });
    }
  });
}
