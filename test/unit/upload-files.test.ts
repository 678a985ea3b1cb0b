/** The names an uploaded file may have (checked by the queen and again by the drone), and sizes in words. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatBytes, uploadNameProblem } from '../../common/upload-files.ts';

it('takes plain file names, also with spaces, dots and any script', () => {
  for (const name of ['upload.txt', 'release notes.md', '.env.ci', 'a.b.c', '-dash', 'файл.txt', '数据.csv', '😀.png', 'x'.repeat(255)]) {
    assert.equal(uploadNameProblem(name), undefined, name);
  }
});

it('refuses names that would leave the workspace root or break it, saying why', () => {
  const cases: [string, RegExp][] = [
    ['', /is empty/],
    ['dir/file', /path separator/],
    ['..\\file', /path separator/],
    ['/etc/passwd', /path separator/],
    ['..', /contains "\.\."/],
    ['a..b', /contains "\.\."/],
    ['.', /is "\."/],
    ['.git', /\.git/],
    ['.GIT', /\.git/],
    ['a\u0000b', /control character/],
    ['line\nbreak', /control character/],
    ['x'.repeat(256), /256 bytes long; at most 255/],
    ['é'.repeat(128), /256 bytes long/],
    ['bad\uD800', /lone UTF-16 surrogate/],
  ];
  for (const [name, expected] of cases) assert.match(uploadNameProblem(name) ?? '', expected, JSON.stringify(name));
});

it('says sizes as people read them', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MiB');
  assert.equal(formatBytes(12.3 * 1024 * 1024), '12 MiB');
});
