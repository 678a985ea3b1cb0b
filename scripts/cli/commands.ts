/**
 * The CLI's commands. Each returns the process exit code: 0 on success; for `run --follow`
 * and `logs --follow`, 0 when the job passed, 1 when it failed, 2 otherwise.
 */
import { api, followJob } from './client.ts';
import { CliUsageError, loadCliConfig, parseArgs, type KnownOptions } from './config.ts';
import { reportTriggered, runsCommand, triggerShape } from './run-results.ts';
import { fileOptions, paramOptions, sendTrigger } from './trigger-request.ts';
import { droneTokenCommand } from './drone-token-command.ts';
import { tokensCommand } from './tokens-command.ts';

type Out = { write(text: string): void; error(text: string): void };

const statusExit = (status: string) => (status === 'passed' ? 0 : status === 'failed' ? 1 : 2);

async function findProject(config: ReturnType<typeof loadCliConfig>, nameOrId: string) {
  const { projects } = await api(config, 'GET', '/api/projects');
  const project = projects.find((p: { id: string; name: string }) => p.id === nameOrId || p.name === nameOrId);
  if (!project) throw new CliUsageError(`No project named "${nameOrId}"`);
  return project;
}

const CONNECTION = ['url', 'token'];
/** The options each command takes; any other is a usage error. */
const OPTIONS: Record<string, KnownOptions> = {
  run: { booleans: ['deploy', 'follow', 'wait'], values: ['branch', 'sha', 'message', 'times', 'priority', ...CONNECTION], repeatable: ['param', 'file'] },
  logs: { booleans: ['follow'], values: CONNECTION },
  projects: { booleans: [], values: CONNECTION },
  jobs: { booleans: [], values: ['limit', ...CONNECTION] },
  cancel: { booleans: [], values: CONNECTION },
  runs: { booleans: [], values: CONNECTION },
  queue: { booleans: [], values: ['limit', ...CONNECTION] },
  'drone-token': { booleans: ['shared'], values: CONNECTION },
  tokens: { booleans: [], values: CONNECTION },
};

export async function runCli(argv: string[], env: Record<string, string | undefined>, out: Out): Promise<number> {
  const [command, ...rest] = argv;
  if (!Object.hasOwn(OPTIONS, command)) throw new CliUsageError(`unknown command "${command}"`);
  const { positional, flags, lists } = parseArgs(rest, OPTIONS[command]);
  const config = loadCliConfig(flags, env);
  switch (command) {
    case 'run': {
      if (!positional[0]) throw new CliUsageError('hive run needs a project name or id');
      const shape = triggerShape(flags); // --times, --priority, --wait (run-results.ts)
      const params = paramOptions(lists.param);
      const files = await fileOptions(lists.file); // checked before anything is sent
      const project = await findProject(config, positional[0]);
      const job = await sendTrigger(config, `/api/projects/${project.id}/${shape.times === undefined ? 'jobs' : 'runs'}`, {
        ...(flags.branch ? { branch: String(flags.branch) } : {}),
        ...(flags.sha ? { sha: String(flags.sha) } : {}),
        ...(flags.message ? { message: String(flags.message) } : {}),
        type: flags.deploy ? 'TEST_AND_DEPLOY' : 'TEST',
        ...shape.body,
        ...(Object.keys(params).length > 0 && { params }),
      }, files);
      if (!flags.follow) return reportTriggered(config, project, job, shape, out);
      out.error(`${project.name} #${job.number} queued: ${job.id}\n`);
      const final = await followJob(config, job.id, out.write);
      out.error(`${project.name} #${job.number} ${final.status}${final.message ? `: ${final.message}` : ''}\n`);
      return statusExit(final.status);
    }
    case 'logs': {
      if (!positional[0]) throw new CliUsageError('hive logs needs a job id');
      if (flags.follow) return statusExit((await followJob(config, positional[0], out.write)).status);
      const res = await fetch(`${config.url}/api/jobs/${positional[0]}/log`, { headers: { authorization: `Bearer ${config.token}` } });
      if (!res.ok) {
        // The queen's reason (unknown job, log removed by retention …) rather than a bare status.
        const reason = await res.json().then((b) => b?.error?.message as string | undefined, () => undefined);
        throw new CliUsageError(`No log for job ${positional[0]}: ${reason ?? `the queen answered ${res.status}`}`);
      }
      out.write(await res.text());
      return 0;
    }
    case 'projects': {
      const { projects } = await api(config, 'GET', '/api/projects');
      for (const p of projects) out.write(`${p.id}  ${p.name}  ${p.repoUrl}\n`);
      return 0;
    }
    case 'jobs': {
      if (!positional[0]) throw new CliUsageError('hive jobs needs a project name or id');
      const project = await findProject(config, positional[0]);
      const { jobs } = await api(config, 'GET', `/api/projects/${project.id}/jobs?limit=${Number(flags.limit ?? 20)}`);
      for (const j of jobs) out.write(`#${j.number}  ${j.status.padEnd(9)}  ${j.ref.branch ?? j.ref.sha ?? ''}  ${j.id}\n`);
      return 0;
    }
    case 'cancel': {
      if (!positional[0]) throw new CliUsageError('hive cancel needs a job id');
      const job = await api(config, 'POST', `/api/jobs/${positional[0]}/cancel`);
      out.error(`job ${job.id}: ${job.status}\n`);
      return 0;
    }
    case 'queue': {
      const [{ projects }, { jobs }] = await Promise.all([
        api(config, 'GET', '/api/projects'),
        api(config, 'GET', `/api/queue?limit=${Number(flags.limit ?? 50)}`),
      ]);
      const names = new Map<string, string>(projects.map((p: { id: string; name: string }) => [p.id, p.name]));
      if (jobs.length === 0) out.error('the queue is empty\n');
      for (const j of jobs) {
        const what = `${names.get(j.projectId) ?? j.projectId} #${j.number}${j.name ? ` (${j.name})` : ''}`;
        out.write(`${String(j.position).padStart(3)}  ${what}  priority ${j.priority} (now ${j.effectivePriority})  ${j.waitingFor}  ${j.id}\n`);
      }
      return 0;
    }
    case 'drone-token':
      return droneTokenCommand(config, positional, !!flags.shared, out);
    case 'tokens':
      return tokensCommand(config, positional, out);
    case 'runs':
      return runsCommand(config, positional, out);
    default:
      throw new CliUsageError(`unknown command "${command}"`);
  }
}
