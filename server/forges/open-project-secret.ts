/**
 * Opens a project's sealed forge secret (status token, webhook secret) for one use. A
 * value that no longer opens (HIVE_SECRET_KEY changed) must not fail the whole request or
 * status run: it is logged as a warning naming the project and skipped.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Logger } from '../logger.ts';

export interface OpenSecretDeps {
  secretBox: SecretBox;
  log: Logger;
}

/** The plaintext, or undefined (after a warning saying `consequence`) when it cannot be opened. */
export function openProjectSecret(deps: OpenSecretDeps, projectId: string, sealed: string, consequence: string): string | undefined {
  try {
    return deps.secretBox.open(sealed);
  } catch (err) {
    deps.log.warn({ err, projectId }, consequence);
    return undefined;
  }
}
