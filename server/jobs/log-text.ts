/**
 * A job's whole output as plain text, rendered page by page from the stored events so a
 * gigabyte log streams out without ever sitting in memory. Each command is introduced by
 * `$ command`; a non-zero exit is noted after its output.
 */
import type { Db } from '../db/client.ts';
import { iterateJobEvents, type LogOf, type StoredEvent } from '../db/job-log.ts';

export class LogTextRenderer {
  #atLineStart = true;

  /** A renderer that goes on from where this one is. */
  copy(): LogTextRenderer {
    const copy = new LogTextRenderer();
    copy.#atLineStart = this.#atLineStart;
    return copy;
  }

  /** The text one event contributes. */
  render(e: StoredEvent): string {
    switch (e.type) {
      case 'job:cmd:start':
        return this.#line(`$ ${e.command}`);
      case 'job:cmd:stdout':
      case 'job:cmd:stderr':
      case 'job:log':
        return this.#raw(e.data);
      case 'job:cmd:done':
        if (e.exitCode === 0 && !e.error) return '';
        return this.#line(e.error ? `[${e.error}]` : `[exit code ${e.exitCode}]`);
      case 'job:done':
        return e.message ? this.#line(`[${e.status}: ${e.message}]`) : '';
      default:
        return '';
    }
  }

  #raw(data: string): string {
    if (data.length > 0) this.#atLineStart = data.endsWith('\n');
    return data;
  }

  #line(text: string): string {
    const prefix = this.#atLineStart ? '' : '\n';
    this.#atLineStart = true;
    return `${prefix}${text}\n`;
  }
}

/** The text of the events after `from.afterSeq` (default all), page by page. */
export async function* jobLogText(
  db: Db,
  of: LogOf,
  from: { afterSeq: number; renderer: LogTextRenderer } = { afterSeq: 0, renderer: new LogTextRenderer() },
): AsyncGenerator<string> {
  const { renderer } = from;
  for await (const page of iterateJobEvents(db, of, from.afterSeq)) {
    let text = '';
    for (const e of page) text += renderer.render(e);
    if (text) yield text;
  }
}
