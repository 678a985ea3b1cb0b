/**
 * ANSI escape sequences → HTML, for log lines. Only SGR (colours, bold, italic, underline,
 * inverse, strike) is rendered; other control sequences (cursor moves, erase, OSC titles
 * and hyperlinks) are dropped. Styles carry over line ends, so a line is rendered from the
 * state the previous line ended in: `endState` computes that cheaply for lines that are
 * not on screen, `renderLine` renders those that are.
 */

export interface SgrState {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

export const PLAIN: SgrState = Object.freeze({});

// Control sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), and lone two-byte escapes.
const ESCAPES = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

const BASE16 = ['0', '1', '2', '3', '4', '5', '6', '7'];

function color256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 8) return `c${n}`;
  if (n < 16) return `c${n - 8}b`;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `#${[v, v, v].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
  }
  const i = n - 16;
  const steps = [0, 95, 135, 175, 215, 255];
  const rgb = [steps[Math.floor(i / 36)], steps[Math.floor(i / 6) % 6], steps[i % 6]];
  return `#${rgb.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** Applies the parameters of one `ESC [ … m` to a state; returns a new state (states are shared, never mutated). */
export function applySgr(state: SgrState, params: string): SgrState {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  const s: SgrState = { ...state };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) {
      for (const k of Object.keys(s)) delete s[k as keyof SgrState];
    } else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 9) s.strike = true;
    else if (c === 22) { delete s.bold; delete s.dim; }
    else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c === 27) delete s.inverse;
    else if (c === 29) delete s.strike;
    else if (c >= 30 && c <= 37) s.fg = `c${BASE16[c - 30]}`;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = `c${BASE16[c - 40]}`;
    else if (c === 49) delete s.bg;
    else if (c >= 90 && c <= 97) s.fg = `c${BASE16[c - 90]}b`;
    else if (c >= 100 && c <= 107) s.bg = `c${BASE16[c - 100]}b`;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg';
      let value: string | undefined;
      if (codes[i + 1] === 5) {
        value = color256(codes[i + 2]);
        i += 2;
      } else if (codes[i + 1] === 2) {
        const rgb = codes.slice(i + 2, i + 5);
        if (rgb.length === 3 && rgb.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) {
          value = `#${rgb.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
        }
        i += 4;
      }
      if (value) s[key] = value;
    }
  }
  return s;
}

/** The state after a line, given the state before it. Lines without escapes cost one indexOf. */
export function endState(line: string, start: SgrState): SgrState {
  if (line.indexOf('\x1b') === -1) return start;
  let state = start;
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(line); m; m = ESCAPES.exec(line)) {
    if (m[2] === 'm') state = applySgr(state, m[1] ?? '');
  }
  return state;
}

/** A state's identity, to intern states shared by many lines. */
export const stateKey = (s: SgrState) => JSON.stringify(s);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&quot;'));
}

const URLS = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/g;

function linkify(escaped: string): string {
  return escaped.replace(URLS, (url) => `<a href="${url}" rel="noreferrer noopener" target="_blank">${url}</a>`);
}

function openSpan(s: SgrState): string {
  let fg = s.fg;
  let bg = s.bg;
  if (s.inverse) [fg, bg] = [bg ?? 'dfg', fg ?? 'dbg'];
  const classes: string[] = [];
  // 256-colour and true-colour values go in data attributes, applied by `applyTrueColors`
  // through the CSSOM: the Content-Security-Policy forbids inline style attributes.
  const attrs: string[] = [];
  if (fg) (fg.startsWith('#') ? attrs.push(` data-fg="${fg}"`) : classes.push(`f-${fg}`));
  if (bg) (bg.startsWith('#') ? attrs.push(` data-bg="${bg}"`) : classes.push(`b-${bg}`));
  if (s.bold) classes.push('a-b');
  if (s.dim) classes.push('a-d');
  if (s.italic) classes.push('a-i');
  if (s.underline) classes.push('a-u');
  if (s.strike) classes.push('a-s');
  if (classes.length === 0 && attrs.length === 0) return '';
  return `<span${classes.length ? ` class="${classes.join(' ')}"` : ''}${attrs.join('')}>`;
}

const HEX_COLOR = /^#[0-9a-f]{6}$/;

/** Gives the spans `renderLine` marked with `data-fg`/`data-bg` their colours (CSSOM, allowed by the CSP). */
export function applyTrueColors(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-fg],[data-bg]')) {
    const { fg, bg } = el.dataset;
    if (fg && HEX_COLOR.test(fg)) el.style.color = fg;
    if (bg && HEX_COLOR.test(bg)) el.style.background = bg;
  }
}

/**
 * A line as HTML. A carriage return (progress bars) shows only what was written after
 * the last one, as a terminal would; a trailing `\r` (CRLF) is ignored.
 */
export function renderLine(line: string, start: SgrState, maxChars = 10_000): string {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  let state = start;
  const cr = text.lastIndexOf('\r');
  if (cr !== -1) {
    state = endState(text.slice(0, cr), start);
    text = text.slice(cr + 1);
  }
  let suffix = '';
  if (text.length > maxChars) {
    suffix = `<span class="truncated"> … ${text.length - maxChars} more characters (download the raw log for all)</span>`;
    text = text.slice(0, maxChars);
  }
  let html = '';
  let open = openSpan(state);
  let pos = 0;
  const emit = (chunk: string) => {
    if (!chunk) return;
    html += open ? `${open}${linkify(escapeHtml(chunk))}</span>` : linkify(escapeHtml(chunk));
  };
  if (text.indexOf('\x1b') !== -1) {
    ESCAPES.lastIndex = 0;
    for (let m = ESCAPES.exec(text); m; m = ESCAPES.exec(text)) {
      emit(text.slice(pos, m.index));
      pos = m.index + m[0].length;
      if (m[2] === 'm') {
        state = applySgr(state, m[1] ?? '');
        open = openSpan(state);
      }
    }
  }
  emit(text.slice(pos));
  return html + suffix;
}

/** The visible text of a line, without escapes (for search). */
export const stripAnsi = (line: string) => (line.indexOf('\x1b') === -1 ? line : line.replace(ESCAPES, ''));
