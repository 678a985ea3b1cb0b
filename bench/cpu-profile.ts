/**
 * The CPU profile of this process (where a bench runs the queen) from start until stop()
 * writes it, for chrome://inspect or a script. Profiler.stop's own work lands in the last
 * sample, as `dispatch`: not the queen's.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

export async function startCpuProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
    },
  };
}
