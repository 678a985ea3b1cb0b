/**
 * Where the queen's and the drone's JSON log lines go: standard output, written so that
 * logging never holds the process up. pino's default destination writes synchronously,
 * so once nobody reads the pipe (a stuck log shipper, a suspended terminal) every log
 * line would block the whole process — it stops serving, and SIGTERM, handled on that
 * blocked event loop, never ends it.
 *
 * Here lines go through `process.stdout`, which for a pipe queues what the pipe cannot
 * take now instead of waiting; past `maxBufferedBytes` queued, lines are dropped and
 * counted, and one line says how many once the output drains. Exit never waits for the
 * queue (pino flushes only destinations of its own at exit). Files and terminals are
 * written as Node writes them.
 */
export interface LogDestination {
  write(line: string): void;
}

/** The stream part the destination uses; `process.stdout` unless a test passes another. */
export interface OutputStream {
  readonly writableLength: number;
  write(chunk: string): boolean;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Streams that already ignore their write errors (one listener each, however many loggers). */
const guarded = new WeakSet<OutputStream>();

export function boundedStdout(options: { name: string; maxBufferedBytes?: number; stream?: OutputStream }): LogDestination {
  const out = options.stream ?? process.stdout;
  const max = options.maxBufferedBytes ?? 1024 * 1024;
  // A reader that went away (EPIPE) must not crash the process: its lines are lost, not its work.
  if (!guarded.has(out)) {
    guarded.add(out);
    out.on('error', () => {});
  }
  let dropped = 0;
  return {
    write(line) {
      if (out.writableLength > max) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        const note = { level: 40, time: Date.now(), name: options.name, dropped, msg: 'log lines dropped: the output was not read' };
        out.write(`${JSON.stringify(note)}\n`);
        dropped = 0;
      }
      out.write(line);
    },
  };
}
