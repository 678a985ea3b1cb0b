/**
 * A small filesystem of the test's own (tmpfs), to fill up on purpose: `fill()` writes a
 * ballast file until the disk is full, `free()` removes it. Mounting needs root (or
 * CAP_SYS_ADMIN); where it is not permitted `mountSmallFs` says why, for `t.skip`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallFs {
  dir: string;
  /** Fills the filesystem to the last byte with a ballast file. */
  fill(): Promise<void>;
  /** Removes the ballast. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallFs(sizeMb: number): Promise<SmallFs | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hive-small-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    await rmdir(dir).catch(() => {});
    return { skip: `cannot mount a small filesystem to fill (needs root or CAP_SYS_ADMIN): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}` };
  }
  const ballast = join(dir, 'ballast');
  return {
    dir,
    async fill() {
      const file = await open(ballast, 'a');
      try {
        for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              await file.write(chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        await file.close();
      }
    },
    free: () => rm(ballast, { force: true }),
    async unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      await rmdir(dir).catch(() => {});
    },
  };
}
