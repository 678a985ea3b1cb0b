/**
 * Security headers on every answer of the queen. Pages load only their own hashed
 * stylesheet and module scripts (web/layout.tsx), with no inline script or style, so the
 * Content-Security-Policy can forbid everything else: an injected `<script>` or
 * `javascript:` link does not run, the pages cannot be framed (clickjacking), forms post
 * only here. `connect-src 'self'` covers the pages' fetches and the `/api/events` socket
 * (CSP 3 browsers match ws: to the page's own http origin).
 */
import type { MiddlewareHandler } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // An answer written on node's response carries these itself (node-answer.ts).
    if (c.res === RESPONSE_ALREADY_SENT) return;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
}
