/** Whether a Docker engine answers, and which: asked at the drone's start, without dockerode (engine-api.ts). */
import type { EngineAddress } from './engine-address.ts';
import { engineRequest } from './engine-api.ts';

export type EnginePing = { ok: true; version: string; apiVersion: string } | { ok: false; reason: string };

/** Asks the engine for its version; never rejects, never waits longer than `timeoutMs`. */
export async function pingEngine(address: EngineAddress, timeoutMs = 3_000): Promise<EnginePing> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const info = await engineRequest<{ Version: string; ApiVersion: string }>(address, 'GET', '/version', signal);
    return { ok: true, version: info.Version, apiVersion: info.ApiVersion };
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
    return { ok: false, reason };
  }
}
