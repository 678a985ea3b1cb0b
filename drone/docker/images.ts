/**
 * Makes sure a job's image is on the engine, following the job's pull policy:
 * `if-not-present` pulls only a missing image, `always` pulls every time (and fails when
 * the pull does), `never` uses what the engine has. An image that cannot be had is an
 * `ExecutorError` whose message says which image and why, so the job ends `errored`, not
 * `failed`: the build never ran. A registry that needs a login gets the drone host's
 * credentials for it (registry-auth.ts); a refused pull says where they were looked for.
 */
import type Docker from 'dockerode';
import type { PullPolicy } from '../../common/protocol/index.ts';
import { ExecutorError } from '../executors/executor.ts';
import { engineMessage, engineStatus } from './engine-error.ts';
import type { DockerConfigLogins, RegistryLogin } from './registry-auth.ts';

export async function ensureImage(
  docker: Docker,
  image: string,
  policy: PullPolicy,
  options: { signal?: AbortSignal; log?: (line: string) => void; logins?: Pick<DockerConfigLogins, 'forImage'> } = {},
): Promise<void> {
  if (policy !== 'always' && (await hasImage(docker, image))) return;
  if (policy === 'never') throw new ExecutorError(`image "${image}" is not available on this drone (pull policy never)`);
  const login = await options.logins?.forImage(image);
  options.log?.(`Pulling image ${image} (pull policy ${policy}${login?.credentials ? `, logged in to ${login.registry}` : ''})`);
  const started = Date.now();
  await pullImage(docker, image, options.signal, login);
  options.log?.(`Pulled image ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (engineStatus(err) === 404) return false;
    throw new ExecutorError(`could not look up image "${image}": ${engineMessage(err)}`, { cause: err });
  }
}

/**
 * Pulls and waits for the end of the progress stream. The engine reports most failures
 * (unknown image, unreachable registry, denied) inside a stream that began with 200, as a
 * line `{"error": …}`, so the lines are read, not just the status.
 */
export async function pullImage(docker: Docker, image: string, signal?: AbortSignal, login?: RegistryLogin): Promise<void> {
  const fail = (reason: string, cause?: unknown) =>
    new ExecutorError(`image "${image}" is not available on this drone: the pull failed: ${reason}${login && refused(reason) ? ` (${login.source})` : ''}`, { cause });
  if (signal?.aborted) throw new ExecutorError(`pull of image "${image}" aborted`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image, { abortSignal: signal, ...(login?.credentials && { authconfig: login.credentials }) });
  } catch (err) {
    if (signal?.aborted) throw new ExecutorError(`pull of image "${image}" aborted`, { cause: err });
    throw fail(engineMessage(err), err);
  }
  const error = await new Promise<string | undefined>((resolve) => {
    let buffered = '';
    let streamError: string | undefined;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      try {
        const progress = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
        streamError ??= progress.errorDetail?.message ?? progress.error;
      } catch {
        // not JSON: progress noise
      }
    };
    const onAbort = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (reason?: string) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let at: number;
      while ((at = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
      }
    });
    stream.on('error', (err: Error) => finish(signal?.aborted ? 'aborted' : err.message));
    stream.on('end', () => {
      onLine(buffered);
      finish(signal?.aborted ? 'aborted' : streamError);
    });
    stream.on('close', () => finish(signal?.aborted ? 'aborted' : streamError));
  });
  if (error === 'aborted') throw new ExecutorError(`pull of image "${image}" aborted`);
  if (error !== undefined) throw fail(error);
  // A stream that ended without an error line but left no image is a failure as well.
  if (!(await hasImage(docker, image))) throw fail('the engine reported no error, but has no such image');
}

/** Whether a pull failed for want of (the right) credentials, as engines and registries word it. */
function refused(reason: string): boolean {
  return /unauthori[sz]ed|authentication required|access (?:to the resource )?(?:is )?denied|denied|401|403|no basic auth credentials/i.test(reason);
}
