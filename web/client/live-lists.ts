/**
 * Live lists: the dashboard, a project's builds (runs grouped), a run's builds and the
 * drones refresh themselves from
 * server-rendered fragments when the page's WebSocket says something changed. Each time
 * the socket opens they re-read once subscribed, since overview subscriptions carry no
 * history: after a reconnect, and at the first open too — a change between the page's
 * render and its subscription would otherwise be missed until the next one.
 */
import { LiveSocket, debounce, fetchFragment, replaceOuter } from './live-socket.ts';
import { foldableRuns, liveRunPage, openRuns, runRowsUpdater, setRunOpen } from './run-rows.ts';

function refreshFragment(id: string): () => void {
  return debounce(async () => {
    const el = document.getElementById(id);
    const url = el?.dataset.fragment;
    if (!el || !url) return;
    const html = await fetchFragment(url);
    if (html !== null) replaceOuter(el, html);
  }, 250);
}

const dashboard = document.querySelector('[data-live-list="dashboard"]');
const drones = document.querySelector('[data-live-list="drones"]');
const builds = document.querySelector<HTMLTableElement>('table#builds');

if (dashboard) {
  const refresh = refreshFragment('dashboard');
  new LiveSocket({
    onOpen: (s) => {
      s.send({ type: 'subscribe-projects' });
      refresh();
    },
    onMessage: (m) => {
      if (m.type === 'project-job') refresh();
    },
  });
}

if (drones) {
  const refresh = refreshFragment('drones');
  new LiveSocket({
    onOpen: (s) => {
      s.send({ type: 'subscribe-drones' });
      s.send({ type: 'subscribe-projects' });
      refresh();
    },
    onMessage: (m) => {
      if (m.type === 'drones-changed' || (m.type === 'project-job' && m.job.status !== 'queued')) refresh();
    },
  });
}

if (builds) {
  const projectId = builds.dataset.projectId!;
  const prepend = builds.dataset.liveRows === 'prepend';
  const filter = builds.dataset.filter ?? '';
  const body = builds.tBodies[0];
  const pending = new Set<string>();
  // Unfiltered lists show a run as one entry with its builds under it (run-rows.ts).
  const grouped = builds.dataset.grouped === 'runs';
  const updateRun = runRowsUpdater(body, prepend);
  if (grouped) foldableRuns(builds);

  const refreshCounts = refreshFragment('project-active');
  const refreshRow = debounce(async () => {
    const ids = [...pending];
    pending.clear();
    for (const id of ids) {
      const row = body.querySelector<HTMLElement>(`tr[data-job-id="${id}"]`);
      if (!row && !prepend) continue; // an older page shows only its own builds
      const html = await fetchFragment(`/builds/${id}/row?${filter}`);
      const current = body.querySelector<HTMLElement>(`tr[data-job-id="${id}"]`);
      if (html === null) {
        current?.remove(); // no longer matches the filter
      } else if (current) {
        replaceOuter(current, html);
      } else if (!body.querySelector(`tr[data-member-id="${id}"]`)) { // not already under its run
        body.insertAdjacentHTML('afterbegin', html);
        document.querySelector('.empty')?.remove();
      }
    }
  }, 150);

  const reloadAll = async () => {
    const html = await fetchFragment(location.href);
    if (!html) return;
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const fresh = doc.querySelector('table#builds tbody');
    if (!fresh) return;
    // Runs the user unfolded stay unfolded — read now, after the fetch: a run unfolded
    // while the list was being fetched (just after the page loaded) counts too.
    const open = openRuns(body);
    body.innerHTML = fresh.innerHTML;
    for (const runId of open) setRunOpen(body, runId, true);
  };

  new LiveSocket({
    onOpen: (s) => {
      s.send({ type: 'subscribe-projects', projectId });
      void reloadAll();
      refreshCounts();
    },
    onMessage: (m) => {
      if (m.type !== 'project-job' || m.job.projectId !== projectId) return;
      if (grouped && m.job.runId) {
        updateRun(m.job.runId);
        refreshCounts();
        return;
      }
      pending.add(m.job.id);
      refreshRow();
      refreshCounts();
    },
  });
}

liveRunPage();
