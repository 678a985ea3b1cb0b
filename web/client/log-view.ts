/**
 * Draws a LogModel into a scrolling element, windowed: only the rows on screen (plus a
 * margin) exist in the DOM, so a log of millions of lines scrolls like a short one. Rows
 * have a fixed height; past the height browsers can scroll (~33 M px) the scroll range is
 * scaled. Follow mode keeps the newest line in view until the user scrolls up; scrolling
 * back to the bottom (or the Follow button) turns it on again.
 */
import { formatDuration } from '../format.ts';
import { applyTrueColors, escapeHtml, renderLine, stripAnsi } from './ansi.ts';
import { KIND_CMD, KIND_ERR, KIND_META, type LogModel } from './log-model.ts';

export const ROW_HEIGHT = 20;
const OVERSCAN = 30;
/** Beyond this the spacer stops growing and scroll positions are scaled. */
const MAX_SCROLL_PX = 8_000_000;

export class LogView {
  follow = true;
  #highlight = -1;
  #drawnVersion = -1;
  #drawnRange = '';
  #frame = 0;
  readonly #spacer: HTMLElement;
  readonly #window: HTMLElement;
  /** Called when follow mode changes (to update the button). */
  onFollowChange: (follow: boolean) => void = () => {};

  constructor(readonly viewport: HTMLElement, readonly model: LogModel) {
    this.#spacer = viewport.querySelector('.log-spacer')!;
    this.#window = viewport.querySelector('.log-window')!;
    viewport.addEventListener('scroll', () => {
      const atBottom = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW_HEIGHT;
      if (atBottom !== this.follow) this.#setFollow(atBottom);
      this.schedule();
    }, { passive: true });
    viewport.addEventListener('click', (e) => this.#onClick(e));
    new ResizeObserver(() => this.schedule()).observe(viewport);
  }

  /** Redraws on the next frame (data arrived, scrolled, resized). */
  schedule(): void {
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#draw());
  }

  setFollow(on: boolean): void {
    this.#setFollow(on);
    if (on) this.schedule();
  }

  #setFollow(on: boolean): void {
    this.follow = on;
    this.onFollowChange(on);
  }

  /** Scrolls line `index` (0-based) to the middle of the view and highlights it. */
  revealLine(index: number, highlight = true): boolean {
    if (index < 0 || index >= this.model.lineCount) return false;
    const cmd = this.model.cmdOf.data[index];
    if (this.model.kinds.data[index] !== KIND_CMD && cmd >= 0 && this.model.isFolded(cmd)) this.model.setFolded(cmd, false);
    const row = this.model.rowOf(index);
    if (row < 0) return false;
    this.#setFollow(false);
    if (highlight) this.#highlight = index;
    this.#layoutSpacer();
    const { total, spacer } = this.#sizes();
    const viewH = this.viewport.clientHeight;
    const virtualTop = Math.max(0, row * ROW_HEIGHT - viewH / 2 + ROW_HEIGHT / 2);
    const scaled = spacer < total;
    this.viewport.scrollTop = scaled ? (virtualTop / Math.max(1, total - viewH)) * (spacer - viewH) : virtualTop;
    this.#drawnRange = '';
    this.schedule();
    return true;
  }

  /** The line index at the top of the view, for searching onwards from there. */
  firstVisibleLine(): number {
    const { first } = this.#range();
    return this.model.visibleCount ? this.model.lineAt(Math.min(first + OVERSCAN, this.model.visibleCount - 1)) : 0;
  }

  /** Next line at or after `from` (wrapping) whose text contains `query`, or -1. */
  find(query: string, from: number): number {
    const q = query.toLowerCase();
    const lines = this.model.lines;
    for (let n = 0; n < lines.length; n++) {
      const i = (from + n) % lines.length;
      const line = lines[i];
      if (line.toLowerCase().includes(q) && stripAnsi(line).toLowerCase().includes(q)) return i;
    }
    return -1;
  }

  #sizes() {
    const total = this.model.visibleCount * ROW_HEIGHT;
    return { total, spacer: Math.min(total, MAX_SCROLL_PX) };
  }

  #layoutSpacer(): void {
    const { spacer } = this.#sizes();
    const px = `${spacer}px`;
    if (this.#spacer.style.height !== px) this.#spacer.style.height = px;
  }

  #range() {
    const { total, spacer } = this.#sizes();
    const viewH = this.viewport.clientHeight;
    const top = this.viewport.scrollTop;
    const maxScroll = Math.max(1, spacer - viewH);
    const virtualTop = spacer < total ? (Math.min(top, maxScroll) / maxScroll) * (total - viewH) : top;
    const first = Math.max(0, Math.floor(virtualTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.model.visibleCount, Math.ceil((virtualTop + viewH) / ROW_HEIGHT) + OVERSCAN);
    return { first, last, offset: top + first * ROW_HEIGHT - virtualTop };
  }

  #draw(): void {
    this.#frame = 0;
    this.#layoutSpacer();
    if (this.follow) {
      const bottom = this.viewport.scrollHeight - this.viewport.clientHeight;
      if (this.viewport.scrollTop < bottom) this.viewport.scrollTop = bottom;
    }
    const { first, last, offset } = this.#range();
    const key = `${first}:${last}:${this.#highlight}`;
    // Only rows near the end change as lines arrive; anything else redraws only when scrolled.
    const endVisible = last >= this.model.visibleCount - 1;
    if (key === this.#drawnRange && (this.#drawnVersion === this.model.version || !endVisible)) {
      this.#window.style.transform = `translateY(${offset}px)`;
      return;
    }
    this.#drawnRange = key;
    this.#drawnVersion = this.model.version;
    let html = '';
    for (let row = first; row < last; row++) html += this.#rowHtml(this.model.lineAt(row));
    this.#window.innerHTML = html;
    if (html.includes(' data-fg="') || html.includes(' data-bg="')) applyTrueColors(this.#window);
    this.#window.style.transform = `translateY(${offset}px)`;
  }

  #rowHtml(i: number): string {
    const m = this.model;
    const kind = m.kinds.data[i];
    const n = i + 1;
    const hl = i === this.#highlight ? ' hl' : '';
    const number = `<a class="ln-no" href="#L${n}" aria-label="Line ${n}">${n}</a>`;
    if (kind === KIND_CMD) {
      const cmd = m.cmdOf.data[i];
      const info = m.commands.get(cmd);
      const folded = m.isFolded(cmd);
      let meta = '';
      let state = 'running';
      if (info && info.exitCode !== undefined) {
        state = info.exitCode === 0 && !info.error ? 'passed' : 'failed';
        meta = `${info.error ? escapeHtml(info.error) : `exit ${info.exitCode}`} · ${formatDuration(info.durationMs)}`;
      }
      return `<div class="ln hdr hdr-${state}${hl}" id="cmd-${cmd}" data-line="${n}">${number}`
        + `<button type="button" class="fold" data-fold="${cmd}" aria-expanded="${!folded}" title="${folded ? 'Show' : 'Hide'} this command's output">${folded ? '▸' : '▾'}</button>`
        + `<span class="ln-tx">${escapeHtml(m.lines[i])}</span><span class="hdr-meta">${meta}</span></div>`;
    }
    const cls = kind === KIND_ERR ? ' err' : kind === KIND_META ? ' meta' : '';
    return `<div class="ln${cls}${hl}" data-line="${n}">${number}<span class="ln-tx">${renderLine(m.lines[i], m.stateAt(i))}</span></div>`;
  }

  #onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const fold = target.closest<HTMLElement>('button.fold');
    if (fold) {
      const cmd = Number(fold.dataset.fold);
      this.model.setFolded(cmd, !this.model.isFolded(cmd));
      this.#drawnRange = '';
      this.schedule();
      return;
    }
    const number = target.closest<HTMLAnchorElement>('a.ln-no');
    if (number) {
      e.preventDefault();
      const n = Number(number.textContent);
      history.replaceState(null, '', `#L${n}`);
      this.#highlight = n - 1;
      this.#setFollow(false);
      this.#drawnRange = '';
      this.schedule();
    }
  }
}
