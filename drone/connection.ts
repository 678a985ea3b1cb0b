/**
 * The drone's WebSocket to the queen (`<queenUrl>/drone`), kept alive forever: on open it
 * says `drone:hello`, waits for `queen:welcome`, then relays queen messages as typed
 * events. Whenever the socket closes, errors, or stops answering pings, it reconnects
 * with exponential backoff and jitter (200 ms doubling to 10 s; reset after a welcome)
 * until `stop()`.
 *
 * Given several queens (sharing one PostgreSQL), it is connected to one at a time and,
 * when that one is lost or cannot be reached, tries the next at once: a queen not yet
 * tried since the last welcome is worth a try before any backoff, so a drone whose queen
 * died is on another within moments — well inside its jobs' lease — and resumes their
 * streams there exactly as after a reconnect to the same queen (the hello lists its
 * running jobs, the welcome says from which seq to replay). Only once every queen failed
 * does the backoff grow.
 *
 * It is also the transport of the EventOutbox: `canSend()` is true only after the welcome
 * and while the socket's send buffer is below a high-water mark, so job events are never
 * sent to a queen that has not yet said where to resume, and never pile up in memory.
 *
 * Control stays with the caller: the connection neither runs nor cancels jobs, it reports
 * `connected` (with the welcome's resume list), `assign`, `cancel`, `ack`, `query-info`,
 * `drain` and `disconnected`. Malformed frames are logged and ignored.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { tickPeer, watchPeer, type PeerLiveness } from '../common/peer-liveness.ts';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION, parseQueenMessage } from '../common/protocol/index.ts';
import type {
  DroneDrain, DroneHello, DroneMessage, JobAck, JobAssign, JobCancel, JobQueryInfo, QueenMessage, QueenWelcome,
} from '../common/protocol/index.ts';
import type { Frame, OutboxTransport } from './event-outbox.ts';
import type { Logger } from './logger.ts';
import { zeroMask } from './zero-mask.ts';

export interface ConnectionEvents {
  /** The queen welcomed us; apply `welcome.resume` before anything else is sent. */
  connected: [welcome: QueenWelcome];
  /** A welcomed connection was lost; a reconnect is already scheduled (unless stopped). */
  disconnected: [reason: string];
  assign: [message: JobAssign];
  cancel: [message: JobCancel];
  ack: [message: JobAck];
  'query-info': [message: JobQueryInfo];
  drain: [message: DroneDrain];
}

/**
 * The event each welcomed queen message is relayed as. Listing every other message type
 * (the compiler checks it) keeps a new message from being dropped silently; each event's
 * argument is the message of that type.
 */
const RELAYED_AS = {
  'job:assign': 'assign',
  'job:cancel': 'cancel',
  'job:ack': 'ack',
  'job:query-info': 'query-info',
  'drone:drain': 'drain',
} as const satisfies { [T in Exclude<QueenMessage['type'], 'queen:welcome' | 'error'>]: keyof ConnectionEvents };

export interface QueenConnectionOptions {
  /** `ws://` or `wss://` base URL of the queen; `/drone` is appended. */
  queenUrl: string;
  /** Several queens, tried in turn (see the file comment); `queenUrl` when absent. */
  queenUrls?: readonly string[];
  token: string;
  /** Builds the hello each time a socket opens: the running jobs change between connections. */
  hello: () => Omit<DroneHello, 'type' | 'version'>;
  /** The jobs `job:heartbeat` keeps alive. */
  heartbeatJobs: () => { jobId: string; lease: string }[];
  logger: Logger;
  pingIntervalMs?: number;
  /** How long an open socket may wait for `queen:welcome` before it is dropped. */
  welcomeTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Send-buffer bytes above which `canSend()` is false. */
  highWaterMark?: number;
}

/** The pause before trying a queen not yet tried since the last welcome: barely any. */
const NEXT_QUEEN_DELAY_MS = 50;

export class QueenConnection extends EventEmitter<ConnectionEvents> implements OutboxTransport {
  readonly #options: Required<Omit<QueenConnectionOptions, 'backoff' | 'queenUrls'>> & { backoff: { initialMs: number; maxMs: number } };
  readonly #urls: readonly string[];
  /** The queen connected to, or tried now: an index into #urls. */
  #urlIndex = 0;
  /** Queens tried (and lost or failed) since the last welcome; below #urls.length another is untried. */
  #triedSinceWelcome = 0;
  #log: Logger;
  #ws: WebSocket | undefined;
  #welcomed = false;
  #stopped = false;
  #attempt = 0;
  #liveness: PeerLiveness | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #welcomeTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;

  constructor(options: QueenConnectionOptions) {
    super();
    this.#options = {
      pingIntervalMs: 10_000,
      welcomeTimeoutMs: 10_000,
      highWaterMark: 1024 * 1024,
      ...options,
      backoff: options.backoff ?? { initialMs: 200, maxMs: 10_000 },
    };
    this.#urls = options.queenUrls?.length ? [...options.queenUrls] : [options.queenUrl];
    this.#log = options.logger.child({ queen: this.#urls[0] });
  }

  /** The base URL of the queen connected to (or being tried): uploads are fetched from it. */
  get queenUrl(): string {
    return this.#urls[this.#urlIndex];
  }

  /** True between the queen's welcome and the loss of that socket. */
  get isConnected(): boolean {
    return this.#welcomed && this.#ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (this.#ws || this.#stopped) return;
    this.#connect();
  }

  /** Sends a message; false (and nothing sent) when not connected. */
  send(message: DroneMessage): boolean {
    if (!this.isConnected) return false;
    const frame = JSON.stringify(message);
    if (Buffer.byteLength(frame) > MAX_MESSAGE_BYTES) {
      this.#log.error({ type: message.type, bytes: Buffer.byteLength(frame) }, 'message exceeds the protocol limit; not sent');
      return false;
    }
    this.#ws!.send(frame);
    return true;
  }

  canSend(): boolean {
    return this.isConnected && this.#ws!.bufferedAmount < this.#options.highWaterMark;
  }

  sendFrame(frame: Frame, onWritten: () => void): void {
    if (!this.isConnected) {
      setImmediate(onWritten);
      return;
    }
    this.#ws!.send(frame, () => onWritten());
  }

  /** Closes the socket and stops reconnecting. Resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, 'drone stopping');
      // A queen that does not answer the close handshake must not hold the drone up.
      const force = setTimeout(() => ws.terminate(), 2_000);
      await closed;
      clearTimeout(force);
    } else {
      ws.terminate();
      await closed;
    }
  }

  #connect(): void {
    this.#log = this.#options.logger.child({ queen: this.queenUrl });
    const url = `${this.queenUrl}/drone`;
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${this.#options.token}` },
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: this.#options.welcomeTimeoutMs,
      generateMask: zeroMask,
    });
    this.#ws = ws;
    this.#welcomed = false;
    this.#lastError = undefined;

    ws.on('open', () => {
      this.#log.debug('connected; saying hello');
      const hello: DroneHello = { type: 'drone:hello', version: PROTOCOL_VERSION, ...this.#options.hello() };
      ws.send(JSON.stringify(hello));
      this.#liveness = watchPeer(ws, 2);
      this.#pingTimer = setInterval(() => this.#ping(ws), this.#options.pingIntervalMs);
      this.#welcomeTimer = setTimeout(() => {
        this.#log.warn({ timeoutMs: this.#options.welcomeTimeoutMs }, 'no welcome from the queen; reconnecting');
        ws.terminate();
      }, this.#options.welcomeTimeoutMs);
    });
    ws.on('message', (data) => {
      const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      let message: QueenMessage;
      try {
        message = parseQueenMessage(raw);
      } catch (err) {
        this.#log.warn({ err }, 'ignored a malformed message from the queen');
        return;
      }
      this.#onMessage(ws, message);
    });
    // Reported with the close that always follows, as one log line per attempt.
    ws.on('error', (err) => {
      this.#lastError = err.message;
    });
    ws.on('close', (code, reason) => this.#onClose(ws, code, reason.toString()));
  }

  #onMessage(ws: WebSocket, message: QueenMessage): void {
    if (message.type === 'error') {
      this.#log.error({ code: message.code, message: message.message }, 'the queen reported an error');
      return;
    }
    if (!this.#welcomed) {
      if (message.type === 'queen:welcome') this.#onWelcome(ws, message);
      else this.#log.warn({ type: message.type }, 'ignored a message that came before the welcome');
      return;
    }
    if (message.type === 'queen:welcome') {
      this.#log.warn('ignored a second welcome');
      return;
    }
    // Each other message is relayed as the event of the same name (RELAYED_AS).
    (this.emit as (event: keyof ConnectionEvents, message: QueenMessage) => boolean)(RELAYED_AS[message.type], message);
  }

  #onWelcome(ws: WebSocket, welcome: QueenWelcome): void {
    clearTimeout(this.#welcomeTimer);
    if (welcome.version !== PROTOCOL_VERSION) {
      this.#log.error({ queenVersion: welcome.version, droneVersion: PROTOCOL_VERSION }, 'the queen speaks another protocol version; upgrade the drone or the queen');
      ws.close(1002, 'protocol version mismatch');
      return;
    }
    this.#welcomed = true;
    this.#attempt = 0;
    this.#triedSinceWelcome = 0;
    this.#log.info({ droneId: welcome.droneId, resume: welcome.resume.length }, 'welcomed by the queen');
    // A heartbeat vouches for running jobs' leases; with none, pings keep the link alive.
    this.#heartbeatTimer = setInterval(() => {
      const jobs = this.#options.heartbeatJobs();
      if (jobs.length > 0) this.send({ type: 'job:heartbeat', jobs });
    }, welcome.heartbeatMs);
    this.emit('connected', welcome);
  }

  /** Pings only after a period in which nothing came from the queen (peer-liveness.ts). */
  #ping(ws: WebSocket): void {
    if (this.#liveness && tickPeer(ws, this.#liveness) === 'dead') this.#log.warn('the queen stopped answering pings; reconnecting');
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    clearInterval(this.#pingTimer);
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#welcomeTimer);
    const wasWelcomed = this.#welcomed;
    this.#welcomed = false;
    if (this.#ws === ws) this.#ws = undefined;
    const why = reason ? `${code} ${reason}` : String(code);
    if (wasWelcomed) this.emit('disconnected', why);
    if (this.#stopped) return;
    const delay = this.#nextTarget();
    const error = this.#lastError;
    const hint = error && /\b(401|403)\b/.test(error) ? ' (is the drone token right?)' : '';
    const next = this.#urls.length > 1 ? { next: this.queenUrl } : {};
    const fields = { code: why, ...(error && { error }), retryInMs: delay, ...next };
    // A queen that said it is stopping (a restart, an upgrade) is a planned stop: info.
    if (code === 1001) this.#log.info(fields, 'the queen is stopping; reconnecting');
    // Loud for a lost queen or a first failure; quieter for the retries that follow.
    else if (wasWelcomed || this.#attempt <= 1) this.#log.warn(fields, `queen connection closed${hint}; reconnecting`);
    else this.#log.info(fields, `queen connection closed${hint}; reconnecting`);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /**
   * Moves to the next queen and says how long to wait before connecting: next to nothing
   * while some queen is untried since the last welcome, else the backoff (exponential
   * with jitter, so a restarted queen is not hit by every drone at once).
   */
  #nextTarget(): number {
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    this.#triedSinceWelcome++;
    if (this.#triedSinceWelcome < this.#urls.length) return NEXT_QUEEN_DELAY_MS;
    this.#triedSinceWelcome = 0;
    const { initialMs, maxMs } = this.#options.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }
}
