/**
 * The logging surface the drone needs: a structural subset of pino's `Logger`, so modules
 * take any pino logger (or a child of one) without importing pino themselves, and tests
 * can pass `pino({ level: 'silent' })`.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
