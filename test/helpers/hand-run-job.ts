/**
 * Running jobs whose output a test writes itself, batch by batch, through the queen's
 * lifecycle (as event ingest does when a drone's events arrive): the test decides exactly
 * which batches exist and when, and so what live subscribers must receive.
 */
import type { JobAssign } from '../../common/protocol/index.ts';
import type { StoredEvent } from '../../server/db/job-log.ts';
import { createGitRepo, type GitRepo } from './git-repo.ts';
import type { TestQueen } from './queen.ts';
import { openRawDrone, type RawDrone } from './raw-drone.ts';

export interface HandRunJob {
  id: string;
  /** The lease it runs under (to store events by hand). */
  lease: string;
  /** The last seq stored. */
  seq: number;
  /** Stores one batch of stdout events (one per element of `lines`); resolves once stored and announced. */
  print(lines: string[]): Promise<void>;
}

export interface HandRunJobs {
  start(): Promise<HandRunJob>;
  close(): Promise<void>;
}

export async function handRunJobs(queen: TestQueen, capacity = 4): Promise<HandRunJobs> {
  const repo: GitRepo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
  const project = (await queen.api('POST', '/api/projects', { name: `hand-run-${Date.now()}`, repoUrl: repo.url })).body;
  const drone: RawDrone = await openRawDrone(queen.port);
  await drone.hello({ name: `hand-runner-${Date.now()}`, capacity });
  return {
    async start() {
      const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id as string;
      const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id, 20_000);
      const job: HandRunJob = {
        id,
        lease,
        seq: 0,
        async print(lines) {
          const at = Date.now();
          const events = [] as StoredEvent[];
          if (job.seq === 0) {
            events.push({ type: 'job:started', seq: ++job.seq, at } as StoredEvent);
            events.push({ type: 'job:cmd:start', seq: ++job.seq, at, cmd: 0, phase: 'test', command: 'by hand' } as StoredEvent);
          }
          for (const data of lines) events.push({ type: 'job:cmd:stdout', seq: ++job.seq, at, cmd: 0, data } as StoredEvent);
          const stored = await queen.lifecycle.recordEvents(id, lease, events);
          if (!stored) throw new Error(`the queen refused batch ending at seq ${job.seq} of job ${id}`);
        },
      };
      return job;
    },
    async close() {
      drone.close();
      await repo.cleanup();
    },
  };
}
