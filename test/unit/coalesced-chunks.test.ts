import assert from 'node:assert/strict';
import { it } from 'node:test';
import { coalescedChunks } from '../../server/util/coalesced-chunks.ts';

async function* from(chunks: (Buffer | string)[]) {
  yield* chunks;
}
const collect = async (chunks: (Buffer | string)[], min: number) => {
  const out: Buffer[] = [];
  for await (const c of coalescedChunks(from(chunks), min)) out.push(c);
  return out;
};

it('joins small chunks into writes of at least the minimum, in order, nothing lost', async () => {
  const out = await collect(['ab', Buffer.from('cd'), 'é', '', 'fgh', 'i'], 4);
  assert.deepEqual(out.map(String), ['abcd', 'éfgh', 'i']);
});

it('passes a big chunk on as it is, without a copy', async () => {
  const big = Buffer.alloc(10, 'x');
  const out = await collect([big, 'y'], 4);
  assert.equal(out[0], big);
  assert.deepEqual(out.map(String), ['xxxxxxxxxx', 'y']);
});

it('yields nothing for nothing', async () => {
  assert.deepEqual(await collect([], 4), []);
  assert.deepEqual(await collect(['', Buffer.alloc(0)], 4), []);
});
