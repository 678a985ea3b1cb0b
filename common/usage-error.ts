/**
 * A command line the command does not understand (an unknown option, a missing value):
 * unlike other configuration errors, the command prints its usage and exits 2, as
 * command-line tools do for misuse.
 */
import { ConfigError } from './config-error.ts';

export class UsageError extends ConfigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
