/**
 * A commit's subject read from its loose object is what `git log -1 --format=%s` prints;
 * commits it cannot read that way (packed, another encoding) are left to git.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { looseCommitSubject } from '../../drone/commit-subject.ts';

const exec = promisify(execFile);
const GIT_ENV = {
  ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t',
};
let dir: string;
const git = async (...args: string[]) => (await exec('git', args, { cwd: dir, env: GIT_ENV })).stdout;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-subject-'));
  await git('init', '-q');
});
after(() => rm(dir, { recursive: true, force: true }));

/** A commit (loose, as a fresh one is) with the message given verbatim. */
async function commit(message: string, ...config: string[]): Promise<string> {
  await git(...config, 'commit', '-q', '--allow-empty', '--allow-empty-message', '--cleanup=verbatim', '-m', message);
  return (await git('rev-parse', 'HEAD')).trim();
}

const MESSAGES = [
  'one line',
  'subject\n\nbody that is not the subject',
  'a first paragraph\nthat goes on   \nover three lines\n\nand a body',
  '\n\nafter blank lines\nstill the subject',
  '  indented subject with trailing spaces   ',
  'ünïcödé ✓ — 日本語',
  '',
];

for (const message of MESSAGES) {
  it(`reads the subject git prints: ${JSON.stringify(message)}`, async () => {
    const sha = await commit(message);
    const fromGit = (await git('log', '-1', '--format=%s', sha)).replace(/\n$/, '');
    assert.equal(await looseCommitSubject(join(dir, '.git'), sha), fromGit);
  });
}

it('is signed-commit proof: a multi-line header before the message', async () => {
  // A header continued over lines (as gpgsig is) ends at the first blank line, not before.
  const tree = (await git('rev-parse', 'HEAD^{tree}')).trim();
  const raw = `tree ${tree}\nauthor T <t@t> 1 +0000\ncommitter T <t@t> 1 +0000\nmergetag object ${tree}\n type tree\n \n tag x\n\nsigned subject\n\nbody\n`;
  const sha = await new Promise<string>((resolve, reject) => {
    const child = execFile('git', ['hash-object', '-t', 'commit', '-w', '--stdin', '--literally'], { cwd: dir, env: GIT_ENV }, (err, out) => (err ? reject(err) : resolve(out.trim())));
    child.stdin!.end(raw);
  });
  assert.equal(await looseCommitSubject(join(dir, '.git'), sha), (await git('log', '-1', '--format=%s', sha)).trim());
});

it('leaves packed commits, other encodings and non-commits to git', async () => {
  const latin = await commit('caf\xe9', '-c', 'i18n.commitEncoding=ISO-8859-1');
  assert.match(await git('cat-file', 'commit', latin), /^encoding ISO-8859-1$/m);
  assert.equal(await looseCommitSubject(join(dir, '.git'), latin), undefined, 'an encoding header');
  const tree = (await git('rev-parse', 'HEAD^{tree}')).trim();
  assert.equal(await looseCommitSubject(join(dir, '.git'), tree), undefined, 'a tree');
  assert.equal(await looseCommitSubject(join(dir, '.git'), 'f'.repeat(40)), undefined, 'no such object');
  const packed = await commit('packed soon');
  await git('gc', '-q');
  assert.equal(await looseCommitSubject(join(dir, '.git'), packed), undefined, 'packed');
});
