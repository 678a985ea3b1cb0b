/**
 * The output of the queen's Node.js children (the git host, the local drone), passed on to
 * the queen's own standard output and error line by line, through the same bounded
 * destinations as the queen's log (common/log-destination.ts): a stalled reader costs
 * dropped lines, counted, never a blocked queen.
 *
 * Why not `stdio: 'inherit'`: a child given the queen's stdout shares its open file, and
 * libuv makes a child's stdio blocking before the child starts — which makes it blocking
 * for the queen too (the flag belongs to the shared file, not to a process). The queen's
 * log writes then wait whenever nobody reads its output (a stuck log shipper, a full
 * pipe): it stops serving, and a SIGTERM is never handled. test/faults/sigterm.test.ts
 * caught this once the tests ran the compiled queen, whose modules load in an order that
 * makes its stdout blocking for good.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { boundedStdout, type OutputStream } from '../../common/log-destination.ts';

/** The stdio a child gets whose output goes through `forwardChildOutput`. */
export const FORWARDED_STDIO = ['ignore', 'pipe', 'pipe'] as const;

export function forwardChildOutput(child: ChildProcess, name: string): void {
  forwardLines(child.stdout, name, process.stdout);
  forwardLines(child.stderr, name, process.stderr);
}

function forwardLines(from: Readable | null, name: string, to: OutputStream): void {
  if (!from) return;
  const destination = boundedStdout({ name, stream: to });
  // `crlfDelay: Infinity`: a \r\n split between two chunks is still one line end.
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => destination.write(`${line}\n`));
}
