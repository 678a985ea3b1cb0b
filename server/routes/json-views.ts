/**
 * How entities look in API responses. Everything leaves through these functions, so
 * no column is exposed by accident (credentials and secrets never are).
 */
import type { SecretBox } from '../auth/secret-box.ts';
import { registryLoginsView } from '../jobs/registry-logins.ts';
import type { QueenRow } from '../db/queens.ts';
import type { FleetDrone } from '../scheduler/fleet-view.ts';
import { describeCredentials } from '../jobs/project-secrets.ts';
import type { Job } from '../db/jobs.ts';
import type { Project } from '../db/projects.ts';
import type { WebhookDelivery } from '../db/webhook-deliveries.ts';
import type { jobCommands } from '../db/schema.ts';
import { PHASES } from '../../common/protocol/index.ts';
import type { JobSummary } from '../../common/job-summary.ts';
import { matrixJobName } from '../../common/job-name.ts';

type CommandRow = typeof jobCommands.$inferSelect;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export type ProjectView = ReturnType<typeof projectView>;
export type DeliveryView = ReturnType<typeof deliveryView>;

export function projectView(p: Project, box: SecretBox) {
  return {
    id: p.id,
    name: p.name,
    repoUrl: p.repoUrl,
    defaultBranch: p.defaultBranch,
    plugins: p.plugins,
    config: p.config,
    /** Names only: secret values are write-only. */
    secrets: Object.keys(p.secretsEnc).sort(),
    credentials: describeCredentials(box, p),
    /** Registry logins: the registries and user names; passwords are write-only. */
    registryLogins: registryLoginsView(p.registryLoginsEnc),
    provider: p.provider,
    forgeRepo: p.forgeRepo,
    forgeApiUrl: p.forgeApiUrl,
    /** Write-only values: whether they are set, never what they are. */
    hasForgeToken: !!p.forgeTokenEnc,
    hasWebhookSecret: !!p.webhookSecretEnc,
    branchRules: p.branchRules,
    trusted: p.trusted,
    defaultPriority: p.defaultPriority,
    maxConcurrent: p.maxConcurrent,
    parameters: p.parameters,
    schedules: p.schedules,
    private: p.private,
    workspace: p.workspace,
    workspaceCaches: p.workspaceCaches,
    /** Counted up by every change of the settings; `GET /api/projects/:id`'s ETag, for `If-Match`. */
    version: p.version,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

/** Typed by common/job-summary.ts: browsers get this object over `/api/events` too. */
export function jobSummaryView(j: Omit<Job, 'spec' | 'plugins'>): JobSummary {
  const durationMs = j.startedAt && j.finishedAt ? j.finishedAt.getTime() - j.startedAt.getTime() : null;
  return {
    id: j.id,
    projectId: j.projectId,
    number: j.number,
    type: j.type,
    status: j.status,
    message: j.message,
    ref: j.ref,
    trigger: j.trigger,
    drone: j.droneId ? { id: j.droneId, name: j.droneName } : null,
    attempt: j.attempt,
    priority: j.priority,
    runId: j.runId,
    name: matrixJobName(j.matrix),
    matrix: j.matrix,
    params: j.params,
    createdAt: iso(j.createdAt),
    assignedAt: iso(j.assignedAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    durationMs,
    /** When retention removed the log (`GET /api/jobs/:id/log` answers 410 then); null while it is kept. */
    logPrunedAt: iso(j.logPrunedAt),
  };
}

export function jobDetailView(j: Job, commands: CommandRow[]) {
  return {
    ...jobSummaryView(j),
    cancelRequested: j.cancelRequested,
    lastSeq: j.lastSeq,
    /** What the drone reported after the job was reaped as lost (its status stays): {status, message, finishedAt}. */
    lateResult: j.lateResult,
    phases: PHASES.map((name) => ({
      name,
      status: j.phases[name]?.status ?? null,
      durationMs: j.phases[name]?.durationMs ?? null,
      commands: commands.filter((c) => c.phase === name).map(commandView),
    })),
    commands: commands.map(commandView),
    spec: j.spec,
  };
}

function commandView(c: CommandRow) {
  return {
    idx: c.idx,
    phase: c.phase,
    command: c.command,
    exitCode: c.exitCode,
    durationMs: c.durationMs,
    error: c.error,
    startedAt: iso(c.startedAt),
    finishedAt: iso(c.finishedAt),
  };
}

/** A drone of the fleet (any queen's): `queen` is the one it is, or was last, connected to. */
export function droneView(d: FleetDrone) {
  return {
    id: d.row.id,
    name: d.row.name,
    labels: d.row.labels,
    plugins: d.row.plugins,
    capacity: d.row.capacity,
    speed: d.row.speed,
    connected: d.connected,
    draining: d.row.draining,
    running: d.running,
    runningJobs: d.jobs.map((j) => j.id),
    lastSeenAt: iso(d.lastSeenAt),
    queen: d.queen ? { id: d.queen.id, address: d.queen.address, live: d.queen.live, self: d.queen.self } : null,
  };
}

export function queenView(q: QueenRow & { live: boolean }, selfId: string) {
  return {
    id: q.id,
    address: q.address,
    live: q.live || q.id === selfId,
    self: q.id === selfId,
    startedAt: iso(q.startedAt),
    lastSeenAt: iso(q.lastSeenAt),
  };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    provider: d.provider,
    deliveryId: d.deliveryId,
    event: d.event,
    receivedAt: iso(d.receivedAt),
    outcome: d.outcome,
    jobIds: d.jobIds,
  };
}
