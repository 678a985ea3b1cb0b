/**
 * The name a job of a matrix carries: its combination, `DB=pg NODE=18`, in the order the
 * stored combination (jsonb) keeps its keys — shorter names first, then alphabetical —
 * so it is the same wherever it is shown. Jobs outside a matrix have none (pages show `#number`).
 */
export function matrixJobName(matrix: Record<string, string> | null | undefined): string | null {
  if (!matrix) return null;
  const parts = Object.entries(matrix).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(' ') : null;
}
