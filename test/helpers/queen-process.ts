/**
 * A real queen process for fault tests: `node scripts/hive.mjs queen` with a data dir of
 * its own (the embedded database) or `DATABASE_URL`, on a port chosen by the test so a
 * restarted queen comes back where its drones look for it. It can be killed for real
 * (SIGKILL: no cleanup at all) or stopped with SIGTERM.
 *
 * `output: 'ignore-pipe'` gives it stdout/stderr pipes that nobody reads — once full, every
 * write to them would block — to test that logging never holds the queen up.
 *
 * Its embedded database is made from the tests' migrated template before the first start
 * (test-db.ts), sparing the queen's own initdb and migrations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, DRONE_TOKEN } from './queen.ts';
import { seedEmbeddedDatabase } from './test-db.ts';
import { hiveCommandArgs } from './built-hive.ts';
import { mallocEnv } from './malloc-env.ts';


export interface QueenProcessOptions {
  dataDir: string;
  port: number;
  /** PostgreSQL instead of the embedded database. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Flags for the queen's node (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
  /** 'capture' (default) keeps what it prints; 'ignore-pipe' leaves its pipes unread. */
  output?: 'capture' | 'ignore-pipe';
}

export interface QueenProcess {
  process: ChildProcess;
  url: string;
  port: number;
  /** Resolves with the exit code or signal once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Calls the REST API with the admin token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
  /** Sends a signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startQueenProcess(options: QueenProcessOptions): Promise<QueenProcess> {
  const embedded = join(options.dataDir, 'db');
  if (!options.databaseUrl && !existsSync(embedded)) await seedEmbeddedDatabase(embedded);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...hiveCommandArgs, 'queen'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...mallocEnv(),
      HIVE_DATA_DIR: options.dataDir,
      HIVE_PORT: String(options.port),
      HIVE_HOST: '127.0.0.1',
      HIVE_ADMIN_TOKEN: ADMIN_TOKEN,
      HIVE_DRONE_TOKEN: DRONE_TOKEN,
      HIVE_ADMIN_PASSWORD: 'test-admin-password',
      ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  if (options.output !== 'ignore-pipe') {
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${options.port}`;
  const api: QueenProcess['api'] = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };
  const queen: QueenProcess = {
    process: child,
    url,
    port: options.port,
    exited,
    output: () => output,
    api,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  await waitUntilServing(queen);
  return queen;
}

/** Resolves once the queen answers /healthz; rejects if it exits first. */
async function waitUntilServing(queen: QueenProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void queen.exited.then(() => (ended = true));
  for (;;) {
    if (ended) throw new Error(`the queen exited before serving:\n${queen.output()}`);
    const ok = await fetch(`${queen.url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the queen did not serve within ${timeoutMs} ms:\n${queen.output()}`);
    // Nothing to listen to before the port opens: a short pause between attempts.
    await new Promise((r) => setTimeout(r, 100));
  }
}
