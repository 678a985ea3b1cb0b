/**
 * A status badge as SVG in the shields.io "flat" style: a grey label on the left, a
 * coloured message on the right, sized to the text. Every text is escaped (a title may
 * carry a branch name, and git allows `<`, `&` and `"` in those). Colours are attributes,
 * not `style`, so the queen's Content-Security-Policy (no inline styles) does not blank
 * the badge when it is opened by itself rather than shown in an <img>.
 */

/** Advance widths of Verdana at 11 px (the font shields.io measures with), for ASCII. */
const WIDTHS: Record<string, number> = {
  ' ': 3.87, '!': 4.33, '"': 5.05, '#': 9, $: 6.99, '%': 11.84, '&': 7.99, "'": 2.95, '(': 4.99, ')': 4.99, '*': 6.99,
  '+': 9, ',': 4, '-': 4.99, '.': 4, '/': 4.99, ':': 4.99, ';': 4.99, '<': 9, '=': 9, '>': 9, '?': 6, '@': 11,
  A: 7.52, B: 7.54, C: 7.68, D: 8.48, E: 6.96, F: 6.32, G: 8.53, H: 8.27, I: 4.61, J: 5, K: 7.62, L: 6.12, M: 9.27,
  N: 8.23, O: 8.66, P: 6.63, Q: 8.66, R: 7.65, S: 7.52, T: 6.78, U: 8.05, V: 7.52, W: 10.88, X: 7.54, Y: 6.77, Z: 7.54,
  '[': 4.99, '\\': 4.99, ']': 4.99, '^': 9, _: 6.99, '`': 6.99,
  a: 6.61, b: 6.85, c: 5.73, d: 6.85, e: 6.55, f: 3.87, g: 6.85, h: 6.96, i: 3.02, j: 3.79, k: 6.51, l: 3.02, m: 10.7,
  n: 6.96, o: 6.68, p: 6.85, q: 6.85, r: 4.69, s: 5.73, t: 4.33, u: 6.96, v: 6.51, w: 8.98, x: 6.51, y: 6.51, z: 5.78,
  '{': 6.98, '|': 4.99, '}': 6.98, '~': 9,
};
for (const d of '0123456789') WIDTHS[d] = 6.99;

/** Text width in px; characters outside the table count as wide ones. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDTHS[ch] ?? (ch.codePointAt(0)! > 0x2e80 ? 11 : 7);
  return width;
}

/** Text for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export interface BadgeText {
  label: string;
  message: string;
  /** The message's background, `#rrggbb` or `#rgb` (one of badge-status.ts's, never user input). */
  color: string;
  /** Tooltip and accessible name; default "label: message". */
  title?: string;
}

const PADDING = 10; // 5 px each side, as shields.io

export function badgeSvg({ label, message, color, title }: BadgeText): string {
  const labelWidth = Math.round(textWidth(label)) + PADDING;
  const messageWidth = Math.round(textWidth(message)) + PADDING;
  const width = labelWidth + messageWidth;
  // Text is drawn at 10× and scaled down, as shields.io does, for sub-pixel placement.
  const text = (content: string, x: number, textWidthPx: number) => {
    const at = Math.round(x * 10);
    const length = Math.round(textWidthPx * 10);
    const escaped = escapeXml(content);
    return `<text aria-hidden="true" x="${at}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${length}">${escaped}</text>`
      + `<text x="${at}" y="140" transform="scale(.1)" fill="#fff" textLength="${length}">${escaped}</text>`;
  };
  const name = escapeXml(title ?? `${label}: ${message}`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${name}">`,
    `<title>${name}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="#555"/><rect x="${labelWidth}" width="${messageWidth}" height="20" fill="${color}"/><rect width="${width}" height="20" fill="url(#s)"/></g>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">',
    text(label, labelWidth / 2, labelWidth - PADDING),
    text(message, labelWidth + messageWidth / 2, messageWidth - PADDING),
    '</g></svg>',
  ].join('');
}
