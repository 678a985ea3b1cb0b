/**
 * Gates that hold a build's command until the test opens them, for tests that need builds
 * running for as long as they look at them (queues, runs, drains, the run page). The
 * repository gets `wait.sh` (GATE_SCRIPT plus what the test wants it to print), the
 * project runs `sh wait.sh "$HIVE_JOB_ID"` with GATES in its env, and the command waits
 * until the file named after its job appears in the gates' directory; what the file holds
 * is the test's to use (e.g. an exit code).
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The first line of every `wait.sh`: the command waits there for its job's gate. */
export const GATE_SCRIPT = 'while [ ! -e "$GATES/$1" ]; do sleep 0.02; done\n';
/** The command a gated project runs. */
export const GATED_COMMAND = 'sh wait.sh "$HIVE_JOB_ID"';

export interface JobGates {
  readonly dir: string;
  /** The project env that points the command at the gates. */
  readonly env: { GATES: string };
  /** Lets the job's command go on; the file appears whole, `content` and all. */
  open(jobId: string, content?: string): Promise<void>;
  remove(): Promise<void>;
}

export async function createJobGates(): Promise<JobGates> {
  const dir = await mkdtemp(join(tmpdir(), 'hive-gates-'));
  return {
    dir,
    env: { GATES: dir },
    async open(jobId, content = '') {
      await writeFile(join(dir, `.${jobId}`), content);
      await rename(join(dir, `.${jobId}`), join(dir, jobId));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
