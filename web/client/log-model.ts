/**
 * A build's log as lines, built from the job's events exactly as the queen's raw log
 * (`/api/jobs/:id/log`) is, so line N here is line N of the download: `$ command` before
 * each command's output, `[exit code N]` after a failing one, `[status: message]` at the
 * end. Per line it keeps small typed arrays (kind, command, colour state at its start)
 * rather than objects, so a log of millions of lines stays in tens of megabytes plus the
 * text itself. Folding a command hides its output lines from the visible index.
 */
import { PLAIN, endState, stateKey, type SgrState } from './ansi.ts';

export const KIND_OUT = 0;
export const KIND_ERR = 1;
export const KIND_CMD = 2;
export const KIND_META = 3;

/** The events this model reads (a subset of the stored job events). */
export interface LogEvent {
  seq: number;
  type: string;
  cmd?: number;
  command?: string;
  data?: string;
  exitCode?: number | null;
  durationMs?: number;
  error?: string;
  status?: string;
  message?: string;
}

export interface CommandInfo {
  line: number;
  command: string;
  exitCode?: number | null;
  durationMs?: number;
  error?: string;
}

class IntColumn {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  clear(): void {
    this.data = new Int32Array(1024);
    this.length = 0;
  }
}

export class LogModel {
  lines: string[] = [];
  readonly kinds = new IntColumn();
  readonly cmdOf = new IntColumn();
  readonly stateIds = new IntColumn();
  readonly states: SgrState[] = [PLAIN];
  readonly commands = new Map<number, CommandInfo>();
  lastSeq = 0;
  /** Whether the last line is still open (its output had no newline yet). */
  #open = false;
  #stateIndex = new Map<string, number>([[stateKey(PLAIN), 0]]);
  /** Colour state at the start of the next line to be opened. */
  #carry: SgrState = PLAIN;
  readonly #folded = new Set<number>();
  /** Visible line indices when something is folded; null means every line is visible. */
  #visible: IntColumn | null = null;
  /** Bumped on every change, so views know to redraw. */
  version = 0;

  get lineCount(): number {
    return this.lines.length;
  }

  get visibleCount(): number {
    return this.#visible ? this.#visible.length : this.lines.length;
  }

  /** The line index shown at visible position `row`. */
  lineAt(row: number): number {
    return this.#visible ? this.#visible.data[row] : row;
  }

  /** The visible position of line `index`, or -1 when it is folded away. */
  rowOf(index: number): number {
    if (!this.#visible) return index < this.lines.length ? index : -1;
    const v = this.#visible.data;
    let lo = 0;
    let hi = this.#visible.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid] === index) return mid;
      if (v[mid] < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  stateAt(index: number): SgrState {
    return this.states[this.stateIds.data[index]];
  }

  isFolded(cmd: number): boolean {
    return this.#folded.has(cmd);
  }

  setFolded(cmd: number, folded: boolean): void {
    if (folded === this.#folded.has(cmd)) return;
    if (folded) this.#folded.add(cmd);
    else this.#folded.delete(cmd);
    this.#rebuildVisible();
  }

  /** Applies events in seq order; events at or below `lastSeq` are ignored (replays). */
  apply(events: LogEvent[]): void {
    for (const e of events) {
      if (e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      this.#applyOne(e);
    }
    this.version++;
  }

  #applyOne(e: LogEvent): void {
    switch (e.type) {
      case 'job:cmd:start':
        this.#carry = PLAIN; // a new process: colours do not carry over from the last one
        this.#closeLine();
        this.commands.set(e.cmd!, { line: this.lines.length, command: e.command ?? '' });
        this.#pushLine(`$ ${e.command ?? ''}`, KIND_CMD, e.cmd!);
        this.#open = false;
        return;
      case 'job:cmd:stdout':
      case 'job:cmd:stderr':
      case 'job:log':
        this.#appendText(e.data ?? '', e.type === 'job:cmd:stderr' ? KIND_ERR : e.type === 'job:log' ? KIND_META : KIND_OUT, e.cmd ?? -1);
        return;
      case 'job:cmd:done': {
        const info = this.commands.get(e.cmd!);
        if (info) Object.assign(info, { exitCode: e.exitCode, durationMs: e.durationMs, error: e.error });
        if (e.exitCode !== 0 || e.error) this.#metaLine(e.error ? `[${e.error}]` : `[exit code ${e.exitCode}]`, e.cmd!);
        return;
      }
      case 'job:done':
        if (e.message) this.#metaLine(`[${e.status}: ${e.message}]`, -1);
        return;
      default:
        return;
    }
  }

  #metaLine(text: string, cmd: number): void {
    this.#closeLine();
    this.#carry = PLAIN;
    this.#pushLine(text, KIND_META, cmd);
    this.#open = false;
  }

  #appendText(data: string, kind: number, cmd: number): void {
    if (!data) return;
    let from = 0;
    if (this.#open) {
      const nl = data.indexOf('\n');
      const piece = nl === -1 ? data : data.slice(0, nl);
      this.lines[this.lines.length - 1] += piece;
      if (nl === -1) return;
      this.#finishLast();
      from = nl + 1;
    }
    while (from < data.length) {
      const nl = data.indexOf('\n', from);
      if (nl === -1) {
        this.#pushLine(data.slice(from), kind, cmd);
        this.#open = true;
        return;
      }
      this.#pushLine(data.slice(from, nl), kind, cmd);
      this.#finishLast();
      from = nl + 1;
    }
  }

  /** The open line ended: its end colour state becomes the next line's start. */
  #finishLast(): void {
    const i = this.lines.length - 1;
    this.#carry = endState(this.lines[i], this.stateAt(i));
    this.#open = false;
  }

  #closeLine(): void {
    if (this.#open) this.#finishLast();
  }

  #pushLine(text: string, kind: number, cmd: number): void {
    const key = stateKey(this.#carry);
    let id = this.#stateIndex.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(this.#carry);
      this.#stateIndex.set(key, id);
    }
    const index = this.lines.length;
    this.lines.push(text);
    this.kinds.push(kind);
    this.cmdOf.push(cmd);
    this.stateIds.push(id);
    if (this.#visible && !(kind !== KIND_CMD && this.#folded.has(cmd))) this.#visible.push(index);
  }

  #rebuildVisible(): void {
    if (this.#folded.size === 0) {
      this.#visible = null;
    } else {
      const visible = new IntColumn();
      const kinds = this.kinds.data;
      const cmds = this.cmdOf.data;
      for (let i = 0; i < this.lines.length; i++) {
        if (kinds[i] === KIND_CMD || !this.#folded.has(cmds[i])) visible.push(i);
      }
      this.#visible = visible;
    }
    this.version++;
  }

  /** Forgets everything (a new attempt of the job starts its events from 1 again). */
  reset(): void {
    this.lines = [];
    this.kinds.clear();
    this.cmdOf.clear();
    this.stateIds.clear();
    this.commands.clear();
    this.#folded.clear();
    this.#visible = null;
    this.#open = false;
    this.#carry = PLAIN;
    this.lastSeq = 0;
    this.version++;
  }
}
