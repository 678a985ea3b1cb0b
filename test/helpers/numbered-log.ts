/**
 * Jobs that print `line 1`, `line 2`, … and the check that a stored log holds each of
 * those lines exactly once, in order: what every fault test asserts about logs. A job cut
 * short (its drone lost) has a prefix of them; a job that passed has all of them.
 */
import assert from 'node:assert/strict';

export interface NumberedScriptOptions {
  /** Seconds between lines (default 0.02; 0: none). */
  delay?: number;
  /**
   * After this many lines, wait until the file named by $GATE exists (set GATE in the
   * job's env): the test decides when the rest is printed, without sleeping itself.
   */
  gateAfter?: number;
}

/** A shell command printing `line 1` … `line n`. */
export function numberedScript(n: number, options: NumberedScriptOptions = {}): string {
  const delay = options.delay ?? 0.02;
  const gate = options.gateAfter === undefined ? '' : `if [ $i -eq ${options.gateAfter + 1} ]; then while [ ! -e "$GATE" ]; do sleep 0.05; done; fi; `;
  // No `sleep 0` for no delay: a process per line, 3000 lines took ~10 s of forks.
  const pause = delay > 0 ? ` sleep ${delay};` : '';
  return `i=1; while [ $i -le ${n} ]; do ${gate}echo "line $i"; i=$((i+1));${pause} done`;
}

/** The numbers of the complete `line N` lines of a log, in the order stored. */
export function numberedLines(log: string): number[] {
  // A last line without its newline may be cut short ("line 1" of "line 12"): not counted.
  const complete = log.endsWith('\n') ? log : log.slice(0, log.lastIndexOf('\n') + 1);
  return [...complete.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
}

/**
 * Asserts that the log holds `line 1` … `line n` once each, in order, and nothing else
 * numbered; without `n`, any such prefix (at least `atLeast` lines). Returns how many.
 */
export function assertNumberedLog(log: string, n?: number, atLeast = 0): number {
  const numbers = numberedLines(log);
  const expected = Array.from({ length: n ?? numbers.length }, (_, i) => i + 1);
  assert.deepEqual(numbers, expected, `each numbered line once, in order${n === undefined ? '' : `, all ${n}`}; log:\n${log.slice(-2000)}`);
  assert.ok(numbers.length >= atLeast, `at least ${atLeast} lines stored, got ${numbers.length}`);
  return numbers.length;
}

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>;

export interface NumberedProjectOptions extends NumberedScriptOptions {
  name: string;
  repoUrl: string;
  /** How many lines the job prints. */
  lines: number;
  /** The file the job waits for after `gateAfter` lines. */
  gate?: string;
  retryOnLostDrone?: boolean;
}

/** A project whose jobs print `line 1` … `line n` (see numberedScript). Returns its id. */
export async function numberedProject(api: Api, o: NumberedProjectOptions): Promise<string> {
  const res = await api('POST', '/api/projects', {
    name: o.name,
    repoUrl: o.repoUrl,
    config: {
      ...(o.retryOnLostDrone !== undefined && { retryOnLostDrone: o.retryOnLostDrone }),
      ...(o.gate && { env: { GATE: o.gate } }),
      phases: { test: [numberedScript(o.lines, o)] },
    },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** Queues a job of the project's default branch; returns its id. */
export async function triggerJob(api: Api, projectId: string): Promise<string> {
  const res = await api('POST', `/api/projects/${projectId}/jobs`, {});
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** The job's stored log as text (`attempt`: an earlier attempt's). */
export async function jobLog(api: Api, jobId: string, attempt?: number): Promise<string> {
  const res = await api('GET', `/api/jobs/${jobId}/log${attempt === undefined ? '' : `?attempt=${attempt}`}`);
  assert.equal(res.status, 200, res.text);
  return res.text;
}
