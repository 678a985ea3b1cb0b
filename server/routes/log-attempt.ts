/** The `?attempt=` of a log request: a whole number from 1 to the job's current attempt. */
import { NotFoundError, ValidationError } from '../errors.ts';

export function logAttempt(raw: string | undefined, current: number): number {
  if (raw === undefined) return current;
  if (!/^[1-9][0-9]{0,5}$/.test(raw)) throw new ValidationError('attempt must be a whole number from 1');
  const attempt = Number(raw);
  if (attempt > current) throw new NotFoundError(`The job has ${current === 1 ? 'one attempt' : `${current} attempts`}, not ${attempt}`);
  return attempt;
}
