/**
 * The page's one WebSocket to `/api/events`, authenticated by the session cookie. It
 * reconnects with exponential backoff (with jitter, capped) and calls `onOpen` after every
 * (re)connection so the page subscribes again — with `after` = the last seq it has, so
 * nothing is lost and nothing repeats. The header's indicator shows the connection state.
 */
// Types only: a value import would bring zod (the queen's parser of these) into the bundle.
import type { LiveClientMessage, LiveServerMessage } from '../../common/live-events.ts';

/** The queen's close code for a socket whose session ended (server/routes/events-socket.ts). */
const CREDENTIAL_GONE = 4401;

export interface LiveSocketOptions {
  onOpen(socket: LiveSocket, reconnected: boolean): void;
  onMessage(message: LiveServerMessage): void;
}

export class LiveSocket {
  #ws?: WebSocket;
  #attempt = 0;
  #opened = false;
  #closed = false;

  constructor(private readonly options: LiveSocketOptions) {
    this.#connect();
    window.addEventListener('pagehide', () => this.close());
  }

  send(message: LiveClientMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  close(): void {
    this.#closed = true;
    this.#ws?.close();
  }

  #connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`;
    const ws = new WebSocket(url);
    this.#ws = ws;
    this.#indicate('connecting');
    ws.onopen = () => {
      const reconnected = this.#opened;
      this.#opened = true;
      this.#attempt = 0;
      this.#indicate('live');
      this.options.onOpen(this, reconnected);
    };
    ws.onmessage = (e) => {
      let message: LiveServerMessage;
      try {
        // The queen is trusted to send what common/live-events.ts defines; it is not re-checked here.
        message = JSON.parse(e.data as string);
      } catch {
        return;
      }
      this.options.onMessage(message);
    };
    ws.onclose = (e) => {
      if (this.#closed) return;
      if (e.code === CREDENTIAL_GONE) {
        // Logged out elsewhere, or the user was removed: the reload lands on the login page.
        this.#closed = true;
        location.reload();
        return;
      }
      this.#indicate('reconnecting');
      // 0.5 s, 1 s, 2 s … up to 15 s, each ±25 %, so a restarted queen is not stampeded.
      const base = Math.min(15_000, 500 * 2 ** this.#attempt++);
      setTimeout(() => this.#connect(), base * (0.75 + Math.random() * 0.5));
    };
  }

  #indicate(state: 'connecting' | 'live' | 'reconnecting'): void {
    const el = document.getElementById('live-state');
    if (!el) return;
    el.dataset.state = state;
    el.textContent = state === 'live' ? '● live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
    el.title = state === 'live' ? 'Updates arrive as they happen' : 'The live connection is down; retrying';
  }
}

/** Fetches a server-rendered fragment (the session cookie authenticates); null for 204. */
export async function fetchFragment(url: string): Promise<string | null> {
  const res = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (res.status === 204) return null;
  if (res.status === 401 || res.redirected) {
    location.reload(); // the session ended: the reload lands on the login page
    return null;
  }
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.text();
}

/** Runs `task` at most once per `ms`, after the last call (trailing debounce with a cap). */
export function debounce(task: () => void | Promise<void>, ms: number): () => void {
  let timer: number | undefined;
  let running = false;
  let again = false;
  const run = async () => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await task();
    } catch (err) {
      console.warn(err);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer === undefined) timer = window.setTimeout(run, ms);
  };
  return schedule;
}

export function replaceOuter(el: Element, html: string): Element | null {
  const template = document.createElement('template');
  template.innerHTML = html.trim();
  const next = template.content.firstElementChild;
  if (!next) return null;
  el.replaceWith(next);
  return next;
}
