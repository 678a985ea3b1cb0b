/** young-generation.ts in a real V8: the young generation keeps its size until growth is allowed. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

it('keeps the young generation at its size, and lets it grow when allowed', () => {
  // A process of its own: the growth factor is a flag of the whole process.
  const script = fileURLToPath(new URL('../fixtures/young-generation-growth.ts', import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' })) as {
    kept: number; restricted: { size: number; grown: boolean }; allowed: { size: number; grown: boolean };
  };
  assert.equal(out.restricted.size, out.kept, 'no growth under work while restricted');
  assert.equal(out.restricted.grown, false);
  assert.ok(out.allowed.size > out.kept, `grew once allowed (${out.kept} → ${out.allowed.size} MiB)`);
  assert.equal(out.allowed.grown, true);
});
