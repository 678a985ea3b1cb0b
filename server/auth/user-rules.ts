/**
 * What a username and a new password must look like, in one place for the REST API, the
 * web forms and the command line. Usernames are lowercase so that `Alice` and `alice`
 * can never be two people (logins compare exactly).
 */
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.ts';

export const MAX_USERNAME_LENGTH = 64;
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

export const usernameSchema = z
  .string()
  .min(1, 'needs at least 1 character')
  .max(MAX_USERNAME_LENGTH, `may have at most ${MAX_USERNAME_LENGTH} characters`)
  .regex(USERNAME_PATTERN, 'may contain lowercase letters, digits, ".", "_" and "-", and starts with a letter or digit');

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `needs at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `may have at most ${MAX_PASSWORD_LENGTH} characters`);

/** Why a username is unacceptable, or undefined when it is fine (for forms, which show one message). */
export function usernameProblem(username: string): string | undefined {
  const parsed = usernameSchema.safeParse(username);
  return parsed.success ? undefined : `The username ${parsed.error.issues[0].message}`;
}
