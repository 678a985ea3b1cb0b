/**
 * Clean-ups a test file registers as it goes (processes, mounts, temp directories), run
 * after its tests in reverse order, each failure ignored so the others still run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function cleanupsAfterTests(): {
  cleanups: (() => Promise<unknown>)[];
  /** A new temp directory named from `prefix`, removed after the tests. */
  tempDir(prefix: string): Promise<string>;
} {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const clean of cleanups.reverse()) await clean().catch(() => {});
  });
  return {
    cleanups,
    async tempDir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}
