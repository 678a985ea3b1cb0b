/**
 * A queen and a hand-driven drone for tests of how stored logs are read: each test job is
 * assigned to the raw drone, and the test stores the job's events itself, as the queen's
 * ingest would, so it controls exactly what is stored and when.
 */
import { noteDataBytes } from '../../common/protocol/event-data-bytes.ts';
import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import type { JobAssign } from '../../common/protocol/index.ts';
import { appendJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { createGitRepo, type GitRepo } from './git-repo.ts';
import { startTestQueen, type TestQueen } from './queen.ts';
import { openRawDrone, type RawDrone } from './raw-drone.ts';

export interface RunningJob {
  id: string;
  lease: string;
  /** Stores the lines as the command's stdout (the job's start and command start first). */
  append(lines: string[]): Promise<void>;
  /**
   * Appends `lines(from, 3)` over and over, a log growing while it is read, until `stop`,
   * which resolves with the number of batches stored.
   */
  keepGrowing(lines: (from: number, n: number) => string[]): { stop(): Promise<number> };
}

export interface HandDrivenLogs {
  queen: TestQueen;
  drone: RawDrone;
  projectId: string;
  /**
   * A job triggered, assigned to the hand-driven drone, and ready for its events — stored
   * directly, or `throughIngest`: through the queen's lifecycle, announced on its bus as a
   * drone's events are, with their output's UTF-8 kept as the parser of a drone's frame keeps it.
   */
  runningJob(options?: { throughIngest?: boolean }): Promise<RunningJob>;
  stop(): Promise<void>;
}

export async function startHandDrivenLogs(projectName: string): Promise<HandDrivenLogs> {
  const queen = await startTestQueen({ HIVE_LEASE_MS: '600000' });
  let repo: GitRepo | undefined;
  let drone: RawDrone | undefined;
  const stop = async () => {
    drone?.close();
    await queen.stop();
    await repo?.cleanup();
  };
  try {
    repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
    const projectId = (await queen.api('POST', '/api/projects', { name: projectName, repoUrl: repo.url })).body.id as string;
    drone = await openRawDrone(queen.port);
    await drone.hello({ name: 'writer', capacity: 20 });
    const writer = drone;
    return {
      queen, drone, projectId, stop,
      async runningJob(options = {}) {
        const id = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
        const { lease } = await writer.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id);
        let seq = 0;
        const append = async (lines: string[]) => {
          const at = Date.now();
          const events: StoredEvent[] = [];
          if (seq === 0) events.push({ type: 'job:started', seq: ++seq, at } as StoredEvent, { type: 'job:cmd:start', seq: ++seq, at, cmd: 0, phase: 'test', command: 'print' } as StoredEvent);
          for (const data of lines) {
            const event = { type: 'job:cmd:stdout', seq: ++seq, at, cmd: 0, data } as StoredEvent & { data: string };
            // As the queen's parser of a drone's data frame does (event-data-bytes.ts).
            if (options.throughIngest) noteDataBytes(event, Buffer.from(data));
            events.push(event);
          }
          const stored = options.throughIngest
            ? await queen.lifecycle.recordEvents(id, lease, events)
            : await appendJobEvents(queen.database.db, id, lease, events);
          assert.ok(stored, 'stored');
        };
        const keepGrowing = (lines: (from: number, n: number) => string[]) => {
          let writes = 0;
          let writing = true;
          const writer = (async () => {
            while (writing) {
              await append(lines(10_000 + writes++ * 3, 3));
              // The embedded database answers through microtasks: yield to I/O so the readers run.
              await setImmediate();
            }
          })();
          return { stop: async () => { writing = false; await writer; return writes; } };
        };
        return { id, lease, append, keepGrowing };
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
