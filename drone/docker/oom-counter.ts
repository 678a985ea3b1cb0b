/**
 * How many processes the kernel's OOM killer has killed in a container, read from the
 * container's own memory cgroup (`oom_kill` in memory.events on cgroup v2, in
 * memory.oom_control on v1). The kernel counts a kill before the victim dies, so once a
 * command has exited the count includes any kill that ended it — unlike the engine's
 * `oom` event, which may arrive after the command's exit. Read with shell builtins only,
 * since an image need not have `cat`.
 */
import type Docker from 'dockerode';
import { execCommand } from './exec-command.ts';

const READ_OOM_KILLS = [
  'for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do',
  '  [ -r "$f" ] || continue',
  '  while read -r key value; do [ "$key" = oom_kill ] && { echo "$value"; exit 0; }; done < "$f"',
  'done',
  'exit 1',
].join('\n');

/** The count, or undefined when the container does not show it (old kernel, no cgroup mount). */
export async function readOomKills(container: Docker.Container): Promise<number | undefined> {
  let out = '';
  const end = await execCommand(container, ['sh', '-c', READ_OOM_KILLS], {
    onStdout: (chunk) => (out += chunk.toString('utf8')),
    onStderr: () => {},
  }, { workingDir: '/', user: '0', signal: AbortSignal.timeout(10_000), graceMs: 0 }).catch(() => undefined);
  const count = Number(out.trim());
  return end?.exitCode === 0 && /^\d+$/.test(out.trim()) && Number.isSafeInteger(count) ? count : undefined;
}
