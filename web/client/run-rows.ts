/**
 * Runs on live pages. In a project's list: the toggle that unfolds a run's builds, and the
 * swap of a run's rows (`/runs/:id/rows`) when one of its builds changes — in place, or
 * first on the first page when the run is new, or where its first build stood alone
 * before its `.hive.yml` matrix made it a run. On a run's page: the body refreshed
 * (`/runs/:id/body`) when one of its builds changes.
 */
import { LiveSocket, debounce, fetchFragment, replaceOuter } from './live-socket.ts';

/** Unfolds or folds a run's builds; delegated, since the rows are swapped live. */
export function foldableRuns(table: HTMLTableElement): void {
  table.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-run-toggle]');
    if (!button?.dataset.runToggle) return;
    setRunOpen(table, button.dataset.runToggle, button.getAttribute('aria-expanded') !== 'true');
  });
}

/** Shows or hides a run's builds under its row, and says so on its toggle. */
export function setRunOpen(root: ParentNode, runId: string, open: boolean): void {
  for (const button of root.querySelectorAll(`[data-run-toggle="${runId}"]`)) button.setAttribute('aria-expanded', String(open));
  for (const row of root.querySelectorAll<HTMLElement>(`tr[data-run-member="${runId}"]`)) row.hidden = !open;
}

/** The runs whose builds are unfolded under `root` now. */
export function openRuns(root: ParentNode): string[] {
  return [...root.querySelectorAll<HTMLElement>('[data-run-toggle][aria-expanded="true"]')].map((b) => b.dataset.runToggle!).filter(Boolean);
}

async function swapRun(body: HTMLTableSectionElement, runId: string, prepend: boolean): Promise<void> {
  const html = await fetchFragment(`/runs/${runId}/rows`);
  if (html === null) return;
  const template = document.createElement('template');
  template.innerHTML = `<table><tbody>${html}</tbody></table>`;
  const rows = [...template.content.querySelectorAll<HTMLElement>('tbody > tr')];
  // What the page shows of the run now — read after the fetch: other swaps may have run,
  // and the user may have unfolded it meanwhile (the fresh rows keep that).
  const old = [...body.querySelectorAll(`tr[data-run-id="${runId}"], tr[data-run-member="${runId}"]`)];
  const open = body.querySelector(`tr[data-run-id="${runId}"] [data-run-toggle]`)?.getAttribute('aria-expanded') === 'true';
  for (const row of rows) {
    if (row.dataset.runMember) row.hidden = !open;
    row.querySelector('[data-run-toggle]')?.setAttribute('aria-expanded', String(open));
  }
  const alone = rows
    .map((r) => r.dataset.memberId && body.querySelector(`tr[data-job-id="${r.dataset.memberId}"]`))
    .filter((r): r is HTMLTableRowElement => !!r);
  const anchor = old[0] ?? alone[0];
  if (anchor) anchor.before(...rows);
  else if (prepend) body.prepend(...rows);
  else return; // an older page shows only its own runs
  for (const row of [...old, ...alone]) row.remove();
  document.querySelector('.empty')?.remove();
}

/** Swaps each run whose builds changed, once per burst of changes (a run of 100 starts at once). */
export function runRowsUpdater(body: HTMLTableSectionElement, prepend: boolean): (runId: string) => void {
  const pending = new Set<string>();
  const flush = debounce(async () => {
    const ids = [...pending];
    pending.clear();
    for (const id of ids) await swapRun(body, id, prepend);
  }, 150);
  return (runId) => {
    pending.add(runId);
    flush();
  };
}

/** The run page: its body follows its builds. */
export function liveRunPage(): void {
  const root = document.getElementById('run-live');
  if (!root) return;
  const { runId, projectId } = root.dataset;
  const refresh = debounce(async () => {
    const el = document.getElementById('run-body');
    const url = el?.dataset.fragment;
    if (!el || !url) return;
    const html = await fetchFragment(url);
    if (html !== null) replaceOuter(el, html);
  }, 250);
  new LiveSocket({
    // Refreshed once subscribed, every time: what changed between the page being rendered
    // and the subscription (a cancel just given, say) carries no event of its own.
    onOpen: (s) => {
      s.send({ type: 'subscribe-projects', projectId });
      refresh();
    },
    onMessage: (m) => {
      if (m.type === 'project-job' && m.job.runId === runId) refresh();
    },
  });
}
