/**
 * What a badge says for a branch's latest finished build: "build | passing" in green,
 * "failing" (also a build that timed out) in red, "error" (the system failed, not the
 * code) in orange, "cancelled" and "unknown" (never built) in grey. Words and colours as
 * shields.io and the CI services it mirrors use them, so readers know them at a glance.
 */
import type { FinalJobStatus } from '../../common/protocol/index.ts';
import type { BadgeText } from './badge-svg.ts';

export const BADGE_LABEL = 'build';

const COLORS = { green: '#4c1', red: '#e05d44', orange: '#fe7d37', grey: '#9f9f9f' } as const;

const BY_STATUS: Record<FinalJobStatus, { message: string; color: string }> = {
  passed: { message: 'passing', color: COLORS.green },
  failed: { message: 'failing', color: COLORS.red },
  timed_out: { message: 'timed out', color: COLORS.red },
  errored: { message: 'error', color: COLORS.orange },
  cancelled: { message: 'cancelled', color: COLORS.grey },
};

/** The badge of a branch: its latest finished build's status, or "unknown" when there is none. */
export function branchBadge(branch: string, latest: { status: FinalJobStatus; number: number } | undefined): BadgeText {
  const { message, color } = latest ? BY_STATUS[latest.status] : { message: 'unknown', color: COLORS.grey };
  const which = latest ? `build #${latest.number} of ${branch}` : `no finished build of ${branch}`;
  return { label: BADGE_LABEL, message, color, title: `${BADGE_LABEL}: ${message} (${which})` };
}

/** The badge for a project that does not exist, or that this client may not see (the same, on purpose). */
export const notFoundBadge: BadgeText = { label: BADGE_LABEL, message: 'not found', color: COLORS.grey };
