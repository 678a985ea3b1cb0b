/**
 * Which executor runs a job. `auto` (the default): Docker for a job with an image when
 * an engine answered at the drone's start, plain processes otherwise. `docker`: every job
 * in Docker (a job without an image then ends `errored`). `process`: never Docker.
 */
import type { JobSpec } from '../../common/protocol/index.ts';
import type { Executor } from './executor.ts';

export const EXECUTOR_MODES = ['auto', 'docker', 'process'] as const;
export type ExecutorMode = (typeof EXECUTOR_MODES)[number];

export type ChooseExecutor = (spec: JobSpec) => Executor;

export function executorChooser(mode: ExecutorMode, process: Executor, docker: Executor | undefined): ChooseExecutor {
  if (mode === 'process' || !docker) return () => process;
  if (mode === 'docker') return () => docker;
  return (spec) => (spec.image ? docker : process);
}
