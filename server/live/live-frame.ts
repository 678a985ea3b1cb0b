/**
 * A queen → client message of `/api/events`, serialized once. The fan-out builds one frame
 * per event batch or status change and hands the same bytes to every subscriber: encoding
 * per subscriber was half of a busy queen's CPU with a thousand watchers of one job.
 */
import type { LiveServerMessage } from '../../common/live-events.ts';

export type LiveFrame = Buffer;

export function encodeFrame(message: LiveServerMessage): LiveFrame {
  return Buffer.from(JSON.stringify(message));
}
