/** A status as a badge: symbol and word, never colour alone. */
import { STATUS_ICONS, STATUS_LABELS } from '../format.ts';

export function StatusBadge({ status, large }: { status: string; large?: boolean }) {
  return (
    <span class={`status status-${status}${large ? ' status-large' : ''}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICONS[status] ?? '?'}</span> {STATUS_LABELS[status] ?? status}
    </span>
  );
}
