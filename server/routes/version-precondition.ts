/**
 * A project's version as HTTP sees it: the strong ETag `"<version>"` of its answers, and
 * the `If-Match` a change may carry — `*` (any version), or the ETag(s) it was derived
 * from. Weak tags (`W/"3"`) never match strongly (RFC 9110 §13.1.1), so they are refused as
 * malformed rather than failing every time. A read may carry `If-None-Match` (the ETags a
 * client has): compared weakly, as the RFC says, and answered 304 when one is current.
 */
import { ValidationError } from '../errors.ts';

/** What a change asks of the stored version: nothing (absent, or `*`), or one of these. */
export type VersionPrecondition = { kind: 'any' } | { kind: 'one-of'; versions: readonly number[] };

export const versionEtag = (version: number): string => `"${version}"`;

const ETAG = /^"([1-9][0-9]{0,9})"$/;

/** The `If-Match` header read; a ValidationError (400) when it is malformed, so nothing is written. */
export function readIfMatch(header: string | undefined): VersionPrecondition {
  if (header === undefined) return { kind: 'any' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const versions = value.split(',').map((tag) => Number(ETAG.exec(tag.trim())?.[1] ?? NaN));
  if (value === '' || versions.some((v) => !Number.isSafeInteger(v))) {
    throw new ValidationError(`If-Match must be * or the ETag a GET answered (like "3"), not ${JSON.stringify(header.slice(0, 100))}`);
  }
  return { kind: 'one-of', versions };
}

export const satisfies = (precondition: VersionPrecondition, version: number): boolean =>
  precondition.kind === 'any' || precondition.versions.includes(version);

/**
 * Whether a read's `If-None-Match` names the current version (or is `*`): then it is
 * answered 304 Not Modified. Weak tags match too; an unreadable header matches nothing
 * (the full answer is always right).
 */
export function noneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === '*') return true;
  return value.split(',').some((tag) => tag.trim().replace(/^W\//, '') === versionEtag(version));
}
