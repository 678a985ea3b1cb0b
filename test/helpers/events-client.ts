/** A real `/api/events` WebSocket client, as the CLI or a browser would use it. */
import { WebSocket } from 'ws';
import { ADMIN_TOKEN } from './queen.ts';

export interface EventsClient {
  messages: any[];
  send(message: unknown): void;
  /** Resolves with the first message (received so far or later) that satisfies `match`. */
  waitFor(match: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

export async function openEventsClient(baseUrl: string, token = ADMIN_TOKEN): Promise<EventsClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const messages: any[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()));
    for (const w of [...waiters]) w();
  });
  return {
    messages,
    send: (m) => ws.send(JSON.stringify(m)),
    waitFor(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => ws.close(),
  };
}
