/**
 * Content negotiation for answers Hive can send gzip'd (the plain-text job log): browsers,
 * `curl --compressed` and undici's fetch ask for it; everything else gets plain bytes.
 */

/** Whether an `Accept-Encoding` header takes gzip (`gzip` or `*`, not with `q=0`). */
export function acceptsGzip(header: string | undefined | null): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    const wanted = q === undefined || Number(q) > 0;
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return wanted;
    if (coding.trim() === '*') star = wanted;
  }
  return star ?? false;
}
