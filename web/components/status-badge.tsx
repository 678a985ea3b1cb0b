/**
 * A status as a badge: symbol and word, never colour alone. The symbol is drawn by the
 * stylesheet (`.status[data-status]::before`, with empty alt text so screen readers say
 * only the word): one element per badge, which matters in lists of builds.
 */
import { STATUS_LABELS } from '../format.ts';

export function StatusBadge({ status, large }: { status: string; large?: boolean }) {
  return <span class={`status status-${status}${large ? ' status-large' : ''}`} data-status={status}>{STATUS_LABELS[status] ?? status}</span>;
}
