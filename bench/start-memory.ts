/**
 * The memory `hive start` holds, as a user runs it: the compiled Hive (`dist/scripts/hive
 * start`, npm's `hive`, rebuilt first when a source is newer than the build) on a
 * fresh data directory; the resident memory of each of its processes (queen, git host,
 * drone, anything else) 10 s after the banner on the first start (the database is
 * created), on a later start, and 10 s after a build that printed 50 MB. On PGlite, or on
 * a fresh PostgreSQL database made from an admin URL (dropped again at the end).
 *
 * RSS, as the targets are stated: it counts shared pages (the node binary's code, ~35–40
 * MiB a process) in each process that maps them, so the sum is what `ps` adds up to, more
 * than the machine is short of.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { createEmptyPostgresDatabase } from '../test/helpers/test-db.ts';
import { treeMemory, type ProcessMemory } from './process-memory.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const IDLE_MS = 10_000;
const LOG_BYTES = 50_000_000;

export interface MemorySample {
  database: string;
  moment: string;
  processes: ProcessMemory[];
  /** For the 50 MB build: trigger → passed. */
  buildMs?: number;
}

interface Running {
  child: ChildProcess;
  output(): string;
}

function startHive(env: Record<string, string>): Promise<Running> {
  const child = spawn(join(root, 'dist/scripts/hive'), ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/Hive is running at/.test(out)) resolve({ child, output: () => out });
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`hive start exited with ${code}:\n${out}`)));
  });
}

async function stopHive({ child }: Running): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}


/** Runs a job printing LOG_BYTES on the local drone and waits for it to pass. */
async function runBigLog(port: number, token: string, repoUrl: string): Promise<void> {
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const project = await api('POST', '/api/projects', {
    name: 'bench-memory', repoUrl,
    config: { phases: { test: [`head -c ${LOG_BYTES} /dev/zero | tr '\\0' x | fold -w 99`] } },
  });
  const job = await api('POST', `/api/projects/${project.id}/jobs`, {});
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(250)) {
    const { status, message } = await api('GET', `/api/jobs/${job.id}`);
    if (status === 'passed') return;
    if (['failed', 'errored', 'cancelled', 'timed_out'].includes(status)) throw new Error(`the 50 MB build ${status}: ${message}`);
  }
  throw new Error('the 50 MB build did not finish within 10 minutes');
}

/** The three samples on one database: PGlite without `adminUrl`, else a fresh PostgreSQL database. */
export async function measureStartMemory(adminUrl?: string): Promise<MemorySample[]> {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const database = adminUrl ? 'postgresql' : 'pglite';
  const pg = adminUrl ? await createEmptyPostgresDatabase(adminUrl) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'hive-bench-memory-'));
  const repo = await createGitRepo({ files: { 'README.md': 'bench\n' } });
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(),
    HIVE_DATA_DIR: dataDir, HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1', HIVE_LOG_LEVEL: 'warn',
    ...(pg && { DATABASE_URL: pg.url }),
  };
  const samples: MemorySample[] = [];
  const sample = async (running: Running, moment: string) => {
    await sleep(IDLE_MS);
    samples.push({ database, moment, processes: treeMemory(running.child.pid!) });
  };
  let running: Running | undefined;
  try {
    running = await startHive(env);
    const token = /Generated admin token \(shown once, store it now\): (\S+)/.exec(running.output())?.[1];
    if (!token) throw new Error(`no admin token printed:\n${running.output()}`);
    await sample(running, 'first start');
    await stopHive(running);
    running = await startHive(env);
    await sample(running, 'later start');
    const started = performance.now();
    await runBigLog(port, token, repo.url);
    const buildMs = performance.now() - started;
    await sample(running, 'after a 50 MB log');
    samples[samples.length - 1].buildMs = buildMs;
  } finally {
    if (running) await stopHive(running);
    await repo.cleanup();
    await rm(dataDir, { recursive: true, force: true });
    await pg?.drop();
  }
  return samples;
}

const ROLES = ['queen', 'git host', 'drone'];
const mib = (kib: number) => (kib / 1024).toFixed(0);

/** A table of the samples: RSS per process and the sum, and the sum of their PSS, in MiB. */
export function memoryTable(samples: MemorySample[]): string {
  const rows = samples.map((s) => {
    const rss = (role: string) => s.processes.filter((p) => p.role === role).reduce((a, p) => a + p.rssKiB, 0);
    // Others by program: the drone's parked guards are many `sh` of ~2 MiB each.
    const others = new Map<string, { count: number; kib: number }>();
    for (const p of s.processes.filter((p) => !ROLES.includes(p.role))) {
      const other = others.get(p.role) ?? { count: 0, kib: 0 };
      others.set(p.role, { count: other.count + 1, kib: other.kib + p.rssKiB });
    }
    const otherText = others.size ? [...others].map(([role, o]) => `${role}${o.count > 1 ? ` ×${o.count}` : ''} ${mib(o.kib)}`).join(', ') : '—';
    const sum = s.processes.reduce((a, p) => a + p.rssKiB, 0);
    const pss = s.processes.reduce((a, p) => a + p.pssKiB, 0);
    const moment = s.buildMs === undefined ? s.moment : `${s.moment} (built in ${(s.buildMs / 1000).toFixed(1)} s)`;
    return [s.database, moment, ...ROLES.map((r) => (rss(r) ? mib(rss(r)) : '—')), otherText, mib(sum), pss ? mib(pss) : '—'];
  });
  const header = ['database', '10 s idle after', ...ROLES, 'other', 'sum', 'sum of PSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
