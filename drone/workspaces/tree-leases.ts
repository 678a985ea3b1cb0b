/**
 * Which incremental work trees are in use: a build leases one tree of its project, the
 * lowest-numbered free one, and gives it back when it ends — so two slots never share a
 * tree, and a project that ran N builds at once has N trees, reused from then on.
 *
 * Kept in memory: one drone process owns a data directory (its repository caches, its
 * outbox spill files), so no other process takes these trees. A drone killed mid-build
 * leaves no lease behind; what it left in the tree is dealt with by the tree's state
 * (tree-state.ts), not here.
 */

export interface TreeLease {
  projectId: string;
  /** 1, 2, …: the tree's number within the project. */
  slot: number;
  jobId: string;
}

export class TreeLeases {
  /** Project id → the slots leased, each to a job. */
  readonly #taken = new Map<string, Map<number, string>>();
  /** Job id → its lease. */
  readonly #byJob = new Map<string, TreeLease>();

  /** The job's lease: the one it holds, else the lowest free slot of the project. */
  take(projectId: string, jobId: string): TreeLease {
    const held = this.#byJob.get(jobId);
    if (held) return held;
    let slots = this.#taken.get(projectId);
    if (!slots) this.#taken.set(projectId, (slots = new Map()));
    let slot = 1;
    while (slots.has(slot)) slot++;
    slots.set(slot, jobId);
    const lease = { projectId, slot, jobId };
    this.#byJob.set(jobId, lease);
    return lease;
  }

  /** Frees the job's tree; false when it held none. */
  release(jobId: string): boolean {
    const lease = this.#byJob.get(jobId);
    if (!lease) return false;
    this.#byJob.delete(jobId);
    const slots = this.#taken.get(lease.projectId);
    slots?.delete(lease.slot);
    if (slots?.size === 0) this.#taken.delete(lease.projectId);
    return true;
  }

  held(jobId: string): TreeLease | undefined {
    return this.#byJob.get(jobId);
  }
}
