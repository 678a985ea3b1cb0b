/**
 * Loads of a value that changes over time, each running until the test releases (or
 * fails) it — for tests of shared reads (FreshReads, InvalidatedReads): what a load
 * answers is the value when it started, as a query reads the state when it runs.
 */
export function heldLoads() {
  let value = 0;
  const started: { key: string; release: () => void; fail: (err: Error) => void }[] = [];
  const load = (key: string) => new Promise<string>((resolve, reject) => {
    const seen = value;
    started.push({ key, release: () => resolve(`${key}@${seen}`), fail: reject });
  });
  /** Resolves once `n` loads have started. */
  const startedCount = async (n: number) => {
    while (started.length < n) await new Promise((resolve) => setImmediate(resolve));
  };
  return { load, started, startedCount, set: (v: number) => (value = v) };
}
