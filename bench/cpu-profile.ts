/**
 * The CPU profile of this process (where a bench runs the queen) from start until stop()
 * writes it, for chrome://inspect or a script. Profiler.stop's own work lands in the last
 * sample, as `dispatch`: not the queen's.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

export async function startCpuProfile(samplingIntervalUs?: number): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // V8's default is 1 ms: a trivial build's few milliseconds of the queen need finer.
  if (samplingIntervalUs) await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
    },
  };
}
