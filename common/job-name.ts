/**
 * The name a job of a matrix carries: its combination, `NODE=18 DB=pg`, in the order the
 * matrix declares its variables. Jobs outside a matrix have none (pages show `#number`).
 */
export function matrixJobName(matrix: Record<string, string> | null | undefined): string | null {
  if (!matrix) return null;
  const parts = Object.entries(matrix).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(' ') : null;
}
