/**
 * A configuration value (flag, environment variable, file) that is missing or malformed:
 * the queen, the drone and the CLI refuse to start and print its message, which names the
 * setting and what was expected ("Expected X to be …, got …").
 */
export class ConfigError extends Error {
  /** The same code the queen's HTTP errors carry, for a caller that reports it. */
  readonly code = 'config_error';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
