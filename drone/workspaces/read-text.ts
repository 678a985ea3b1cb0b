import { readFileSync } from 'node:fs';

/**
 * A small file's text read in the drone's thread, or undefined when it cannot be read (a
 * workspace's state or git metadata: through the thread pool each waited its turn longer
 * than it took).
 */
export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
