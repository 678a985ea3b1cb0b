/**
 * The systemd units in docs/systemd/ parse without a complaint (`systemd-analyze verify`,
 * where systemd is installed; skipped otherwise) and keep what Hive's shutdown and restarts
 * depend on. `hive` need not be installed here: the copies checked run an executable that
 * exists instead.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';

const exec = promisify(execFile);
const unitsDir = fileURLToPath(new URL('../../docs/systemd/', import.meta.url));
const units = ['hive-queen.service', 'hive-drone.service'];
const noSystemd = await exec('systemd-analyze', ['--version']).then(() => false, () => 'systemd-analyze is not installed');

let dir: string | undefined;
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('parses with systemd-analyze verify, without a warning', { skip: noSystemd }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-systemd-'));
  const copies: string[] = [];
  for (const unit of units) {
    const text = await readFile(join(unitsDir, unit), 'utf8');
    const copy = join(dir, unit);
    await writeFile(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    copies.push(copy);
  }
  const { stderr } = await exec('systemd-analyze', ['verify', ...copies]).catch(async (err: { stderr: string; message: string }) => {
    // A failure says what systemd looked at: the copies on disk and its unit search. (That
    // showed a copy deleted under the test, by a hook run too early: test-group-entry.mjs.)
    throw new Error(`systemd-analyze verify failed: ${err.stderr || err.message}\n${await verifyDiagnostics(dir!, copies)}`);
  });
  assert.equal(stderr.trim(), '', 'no warnings (an unknown or misplaced key is only a warning)');
});

/** The copies as they are on disk, and the unit search systemd made for them (from its debug log). */
async function verifyDiagnostics(dir: string, copies: string[]): Promise<string> {
  const listing = await exec('ls', ['-la', dir]).then((r) => r.stdout, (e: Error) => e.message);
  const debug = await exec('systemd-analyze', ['verify', ...copies], { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'debug' } })
    .then((r) => r.stderr, (e: { stderr?: string; message: string }) => e.stderr || e.message);
  // Without its listing of every unit file it knows, which is most of the log.
  const told = debug.split('\n').filter((line) => !/^(unit_file_build_name_map: normal|Linked unit file|alias: )/.test(line));
  return `${listing}\nwith SYSTEMD_LOG_LEVEL=debug, again:\n${told.slice(0, 120).join('\n')}`;
}

it('stops Hive gracefully and restarts it on failure, hardened but not against its JIT', async () => {
  for (const unit of units) {
    const text = await readFile(join(unitsDir, unit), 'utf8');
    for (const line of ['KillSignal=SIGTERM', 'KillMode=mixed', 'Restart=on-failure', 'NoNewPrivileges=true', 'PrivateTmp=true']) {
      assert.match(text, new RegExp(`^${line}$`, 'm'), `${unit}: ${line}`);
    }
    assert.match(text, /^User=\S+$/m, `${unit}: a user of its own`);
    assert.match(text, /^EnvironmentFile=\/etc\/hive\/\S+\.env$/m, `${unit}: settings in a file`);
    assert.doesNotMatch(text, /^MemoryDenyWriteExecute=/m, `${unit}: V8's JIT needs writable-executable memory`);
  }
  const stopSeconds = (text: string) => Number(/^TimeoutStopSec=(\d+)s$/m.exec(text)?.[1]);
  // The queen's stop waits for plugin hooks (10 s each by default).
  assert.ok(stopSeconds(await readFile(join(unitsDir, 'hive-queen.service'), 'utf8')) >= 20);
  // The drone's runs running builds' cleanup phase (up to 60 s) and flushes their lines (5 s).
  const drone = await readFile(join(unitsDir, 'hive-drone.service'), 'utf8');
  assert.ok(stopSeconds(drone) >= 65);
  assert.match(drone, /^#?SupplementaryGroups=docker$/m, 'the drone unit says how to give builds Docker');
});
