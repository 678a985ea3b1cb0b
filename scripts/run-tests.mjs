#!/usr/bin/env node
// Runs the test suite with node's own test runner through tsx: `npm test` runs everything,
// `npm test -- test/unit` or `npm test -- test/integration/api.test.ts` runs a part.
//
// Each integration, fault and browser test file runs in a process of its own (its own
// database, queens and drones), a few at once: they mostly wait on I/O. The unit tests,
// which need no isolation, share one process (a process per file would spend more time
// starting tsx than testing). This runner, rather than `node --test`, owns the processes so
// that it can:
//   - give each file a process group, and kill what a file left running when it ends
//     (and say so): a leaked queen or build must not slow down every later file;
//   - end a file that runs past HIVE_TEST_FILE_TIMEOUT seconds (default 600), naming it,
//     instead of letting one hang eat the whole CI budget — and first ask its process for a
//     diagnostic report (node's --report-on-signal), whose active handles and stack say
//     what kept it alive;
//   - print a line per file with its time, the whole TAP output of a failing file, and at
//     the end the totals and the slowest files.
// Environment: HIVE_TEST_CONCURRENCY (default 3), HIVE_TEST_FILE_TIMEOUT (seconds).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { groupEntryArgs } from './test-group-entry.mjs';

const root = resolve(import.meta.dirname, '..');
const collect = (path) => {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') || path.endsWith('.test.tsx') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => collect(join(path, name)));
};
const targets = process.argv.slice(2);
// test/faults: the fault suite (killed processes, cut links, full disks, hanging servers).
const files = (targets.length ? targets : ['test/unit', 'test/integration', 'test/faults', 'test/e2e'])
  .map((t) => resolve(root, t))
  .flatMap((t) => { try { return collect(t); } catch { return []; } });
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = Math.max(1, Number(process.env.HIVE_TEST_CONCURRENCY ?? 3));
const fileTimeoutMs = Number(process.env.HIVE_TEST_FILE_TIMEOUT ?? 600) * 1000;

const unitDir = join(root, 'test', 'unit') + '/';
const unitFiles = files.filter((f) => f.startsWith(unitDir));
/** Unit files per process: few enough that the processes still run side by side. */
const UNIT_FILES_PER_PROCESS = 15;
const unitGroups = [];
for (let i = 0; i < unitFiles.length; i += UNIT_FILES_PER_PROCESS) unitGroups.push(unitFiles.slice(i, i + UNIT_FILES_PER_PROCESS));
/** What runs as one process: a group of unit files, or any other file alone. */
const units = [
  ...unitGroups.map((group) => ({
    name: group.length === 1 ? relative(root, group[0]) : `${relative(root, group[0])} … ${relative(root, group.at(-1))} (${group.length} files)`,
    files: group,
  })),
  ...files.filter((f) => !f.startsWith(unitDir)).map((f) => ({ name: relative(root, f), files: [f] })),
];

function runUnit(unit) {
  return new Promise((done) => {
    const started = Date.now();
    // One file: run it as the entry point. Several: one process, a suite per file (test-group-entry.mjs says why).
    const entry = unit.files.length === 1 ? [unit.files[0]] : groupEntryArgs(unit.files, root);
    const reportDir = mkdtempSync(join(tmpdir(), 'hive-test-report-'));
    const report = ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reportDir}`, '--report-filename=hung.json'];
    const child = spawn(process.execPath, [...report, '--import', 'tsx', '--test-reporter=tap', ...entry], {
      cwd: root,
      detached: true, // its own process group, so what it leaves behind can be found and ended
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = [];
    child.stdout.on('data', (c) => output.push(c));
    child.stderr.on('data', (c) => output.push(c));
    let timedOut = false;
    let hung = '';
    const timer = setTimeout(async () => {
      timedOut = true;
      hung = await askForReport(child.pid, join(reportDir, 'hung.json'));
      killGroup(child.pid);
    }, fileTimeoutMs);
    // On exit, not on close: a process the file left behind may hold its output pipes open.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      const leftovers = groupMembers(child.pid);
      if (leftovers.length) killGroup(child.pid);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        rmSync(reportDir, { recursive: true, force: true });
        done({ unit, code, signal, timedOut, leftovers, seconds, text: Buffer.concat(output).toString('utf8') + hung });
      };
      // The rest of its output, unless something outside its group still holds the pipes.
      const drained = setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); finish(); }, 5_000);
      child.on('close', () => { clearTimeout(drained); finish(); });
    });
  });
}

/**
 * Has a hung file's process write its diagnostic report and returns what of it explains a
 * hang: the handles keeping its event loop alive and the JavaScript stack. The report is
 * written by the process itself, so it is waited for (up to 10 s, looked for every 100 ms).
 */
async function askForReport(pid, file) {
  try { process.kill(pid, 'SIGUSR2'); } catch { return ''; }
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 200)); // the file is written in one go, but not atomically
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const handles = (report.libuv ?? []).filter((h) => h.is_active && h.is_referenced !== false && h.type !== 'loop')
      .map((h) => `  ${h.type}${h.remoteEndpoint ? ` to ${h.remoteEndpoint.host}:${h.remoteEndpoint.port}` : ''}${h.localEndpoint ? ` from :${h.localEndpoint.port}` : ''}${h.timeout != null ? ` (timer ${h.timeout} ms)` : ''}${h.pid ? ` (pid ${h.pid})` : ''}`);
    const stack = (report.javascriptStack?.stack ?? []).slice(0, 12).map((l) => `  ${l.trim()}`);
    // A child process that keeps it alive: what it is and does (it is killed with the file's group, or outlives it).
    const children = (report.libuv ?? []).filter((h) => h.is_active && h.type === 'process' && h.pid).flatMap((h) => processTree(h.pid));
    const childLines = children.length ? `# its child processes and theirs (pid, parent, state, elapsed, command):\n${children.map((c) => `  ${c}`).join('\n')}\n` : '';
    return `\n# what kept the hung process alive (node's diagnostic report):\n# active handles:\n${handles.join('\n') || '  (none)'}\n${childLines}# JavaScript stack:\n  ${report.javascriptStack?.message ?? ''}\n${stack.join('\n')}\n`;
  } catch (err) {
    return `\n# no diagnostic report from the hung process (${err.message})\n`;
  }
}

function killGroup(pgid) {
  try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
}

/** A process and its descendants as `ps` shows them: pid, parent, state, elapsed time, command. */
function processTree(pid) {
  try {
    const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,etime=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/))
      .filter(Boolean)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), text: `${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5].slice(0, 200)}` }));
    const tree = new Set([pid]);
    for (let grew = true; grew;) {
      grew = false;
      for (const r of rows) if (!tree.has(r.pid) && tree.has(r.ppid)) { tree.add(r.pid); grew = true; }
    }
    return rows.filter((r) => tree.has(r.pid)).map((r) => r.text);
  } catch {
    return [];
  }
}

/** `pid command` of every process still in the process group. */
function groupMembers(pgid) {
  try {
    return execFileSync('ps', ['-e', '-o', 'pgid=,pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
      .filter((m) => m && Number(m[1]) === pgid && !m[3].endsWith('<defunct>'))
      .map((m) => `${m[2]} ${m[3].slice(0, 160)}`);
  } catch {
    return [];
  }
}

/** The counts of the TAP stream's closing comments (`# pass 12`). */
function counts(text) {
  const count = (name) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  return {
    summarized: /^# tests \d+$/m.test(text),
    tests: count('tests'), pass: count('pass'), fail: count('fail'), skipped: count('skipped'), cancelled: count('cancelled'),
  };
}

const results = [];
const queue = [...units];
const suiteStarted = Date.now();
async function worker() {
  for (let unit = queue.shift(); unit; unit = queue.shift()) {
    const result = await runUnit(unit);
    result.counts = counts(result.text);
    // No closing counts: the file ended before its tests did (an exit from inside a test).
    result.ok = result.code === 0 && !result.timedOut && result.counts.summarized && result.counts.fail === 0 && result.counts.cancelled === 0;
    results.push(result);
    const c = result.counts;
    if (!result.ok) {
      process.stdout.write(`\n${result.text}\n`);
      const why = result.timedOut ? `ran past ${fileTimeoutMs / 1000} s and was killed`
        : !c.summarized ? `exit ${result.code ?? result.signal} before its tests ended (no closing counts)`
        : `exit ${result.code ?? result.signal}, ${c.fail} failed, ${c.cancelled} cancelled`;
      process.stdout.write(`FAIL ${result.unit.name} (${result.seconds.toFixed(1)} s): ${why}\n`);
    } else {
      process.stdout.write(`ok   ${result.unit.name} (${result.seconds.toFixed(1)} s, ${c.pass} passed${c.skipped ? `, ${c.skipped} skipped` : ''})\n`);
    }
    if (result.leftovers.length) {
      process.stdout.write(`LEFTOVER ${result.unit.name} left processes running (killed now):\n${result.leftovers.map((l) => `  ${l}`).join('\n')}\n`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, units.length) }, worker));

const total = results.reduce((sum, r) => {
  for (const k of Object.keys(sum)) sum[k] += r.counts[k];
  return sum;
}, { tests: 0, pass: 0, fail: 0, skipped: 0, cancelled: 0 });
const failed = results.filter((r) => !r.ok);
const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 12);
console.log(`\nslowest files:\n${slowest.map((r) => `  ${r.seconds.toFixed(1).padStart(6)} s  ${r.unit.name}`).join('\n')}`);
const leaky = results.filter((r) => r.leftovers.length);
if (leaky.length) console.log(`files that left processes running: ${leaky.map((r) => r.unit.name).join(', ')}`);
console.log(`\n# files ${results.length} (concurrency ${concurrency})`);
console.log(`# tests ${total.tests}\n# pass ${total.pass}\n# fail ${total.fail}\n# cancelled ${total.cancelled}\n# skipped ${total.skipped}`);
console.log(`# duration_ms ${Date.now() - suiteStarted}`);
if (failed.length) console.log(`failed files:\n${failed.map((r) => `  ${r.unit.name}`).join('\n')}`);
process.exit(failed.length ? 1 : 0);
