/**
 * Runs one job through the drone's real runner and outbox, without a queen, and returns
 * the events as the queen would receive them (parsed from the wire frames). Plus small
 * readers of such event lists.
 */
import { join } from 'node:path';
import { EventOutbox } from '../../drone/event-outbox.ts';
import type { Executor } from '../../drone/executors/executor.ts';
import { runJob, type JobOutcome, type Workspaces } from '../../drone/runner.ts';
import { parseDroneMessage, type CmdDoneEvent, type JobEvent, type JobSpec } from '../../common/protocol/index.ts';

export interface RunJobOptions {
  executor: Executor;
  workspaces: Workspaces;
  /** Where the outbox may spill. */
  dataDir: string;
  signal?: AbortSignal;
  onEvent?: (event: JobEvent) => void;
  keepWorkspaces?: boolean;
  cleanupTimeoutMs?: number;
}

export async function runJobForEvents(spec: JobSpec, options: RunJobOptions): Promise<{ events: JobEvent[]; outcome: JobOutcome }> {
  const events: JobEvent[] = [];
  const outbox = new EventOutbox({ spillDir: join(options.dataDir, `outbox-${spec.jobId}`) });
  outbox.attach({
    canSend: () => true,
    sendFrame: (frame, onWritten) => {
      const event = parseDroneMessage(frame, typeof frame !== 'string') as JobEvent;
      events.push(event);
      options.onEvent?.(event);
      onWritten();
    },
  });
  outbox.open(spec.jobId, 'lease-1');
  const outcome = await runJob({
    spec,
    emit: (e) => outbox.push(spec.jobId, e),
    signal: options.signal ?? new AbortController().signal,
    executor: options.executor,
    workspaces: options.workspaces,
    keepWorkspaces: options.keepWorkspaces ?? false,
    ...(options.cleanupTimeoutMs ? { cleanupTimeoutMs: options.cleanupTimeoutMs } : {}),
  });
  return { events, outcome };
}

export const cmdDone = (events: JobEvent[], cmd: number) =>
  events.find((e): e is CmdDoneEvent => e.type === 'job:cmd:done' && e.cmd === cmd);
export const phaseStatuses = (events: JobEvent[]) =>
  Object.fromEntries(events.flatMap((e) => (e.type === 'job:phase:done' ? [[e.phase, e.status]] : [])));
export const output = (events: JobEvent[], type: 'job:cmd:stdout' | 'job:cmd:stderr', cmd?: number) =>
  events.flatMap((e) => (e.type === type && (cmd === undefined || e.cmd === cmd) ? [e.data] : [])).join('');
