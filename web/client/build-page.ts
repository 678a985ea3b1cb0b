/**
 * The build page, live: follows the job over the page's WebSocket (resuming after a
 * reconnect from the last seq it has), feeds events to the log, and refreshes the
 * server-rendered header and phase list when the job's state changes.
 */
import { isFinal } from '../format.ts';
import { LiveSocket, debounce, fetchFragment, replaceOuter } from './live-socket.ts';
import { LogModel, type LogEvent } from './log-model.ts';
import { LogView } from './log-view.ts';

interface Boot {
  jobId: string;
  status: string;
  attempt: number;
  lastSeq: number;
}

const boot = JSON.parse(document.getElementById('build-data')!.textContent!) as Boot;
const model = new LogModel();
const view = new LogView(document.getElementById('log')!, model);
const info = document.getElementById('log-info')!;
const followButton = document.getElementById('log-follow')!;
let status = boot.status;
let attempt = boot.attempt;
/** Events up to this seq were already reflected in the server-rendered page. */
let renderedSeq = boot.lastSeq;
let pendingLine = -1;
let socket: LiveSocket;

view.onFollowChange = (on) => followButton.setAttribute('aria-pressed', String(on));
followButton.addEventListener('click', () => view.setFollow(followButton.getAttribute('aria-pressed') !== 'true'));

const refreshHeader = debounce(async () => {
  const html = await fetchFragment(`/builds/${boot.jobId}/header`);
  const el = document.getElementById('build-header');
  if (html && el) replaceOuter(el, html);
  // The header is the stored row: its status is the truth the log info follows too.
  const now = document.getElementById('build-header')?.dataset.status;
  if (now && now !== status) {
    status = now;
    scheduleInfo();
  }
}, 100);

const refreshPhases = debounce(async () => {
  const container = document.getElementById('phases');
  const html = await fetchFragment(`/builds/${boot.jobId}/phases`);
  if (!container || html === null) return;
  // Keep the phases the user closed closed.
  const closed = new Set([...container.querySelectorAll<HTMLElement>('.phase')].filter((p) => !p.querySelector('details')?.open).map((p) => p.dataset.phase));
  container.innerHTML = html;
  for (const p of container.querySelectorAll<HTMLElement>('.phase')) if (closed.has(p.dataset.phase)) p.querySelector('details')?.removeAttribute('open');
}, 150);

function updateInfo(): void {
  const lines = model.lineCount.toLocaleString('en');
  const state = isFinal(status) && queue.length === 0 && model.lastSeq >= renderedSeq ? 'complete' : status === 'queued' || status === 'assigned' ? 'waiting for the build to start' : 'streaming';
  info.textContent = `${lines} line${model.lineCount === 1 ? '' : 's'} · ${state}`;
}
const scheduleInfo = debounce(updateInfo, 250);

/** `#L123` selects a line, `#cmd-4` a command's first line; they apply once those lines exist. */
function applyHash(): void {
  const line = /^#L(\d+)$/.exec(location.hash);
  const cmd = /^#cmd-(\d+)$/.exec(location.hash);
  if (line) pendingLine = Number(line[1]) - 1;
  else if (cmd) pendingLine = model.commands.get(Number(cmd[1]))?.line ?? -1;
  else return;
  view.setFollow(false);
  if (pendingLine >= 0 && pendingLine < model.lineCount && view.revealLine(pendingLine)) pendingLine = -1;
}

/**
 * Incoming events wait here and are applied a slice at a time (about 8 ms of work per
 * task), so a catch-up of hundreds of megabytes never blocks input or painting for long.
 */
const queue: LogEvent[][] = [];
/** The highest seq received (queued or applied), for gap detection and resubscribing. */
let receivedSeq = 0;
let pumping = false;

function onEvents(events: LogEvent[]): void {
  const fresh = events.filter((e) => e.seq > receivedSeq);
  if (fresh.length === 0) return;
  if (fresh[0].seq > receivedSeq + 1) {
    // A gap cannot happen on one subscription; resubscribe from what we have to be safe.
    socket.send({ type: 'subscribe', jobId: boot.jobId, after: receivedSeq });
    return;
  }
  receivedSeq = fresh[fresh.length - 1].seq;
  queue.push(fresh);
  if (!pumping) {
    pumping = true;
    setTimeout(pump, 0);
  }
}

function pump(): void {
  const until = performance.now() + 8;
  while (queue.length > 0 && performance.now() < until) {
    const batch = queue[0];
    const slice = batch.splice(0, 64);
    if (batch.length === 0) queue.shift();
    applyEvents(slice);
  }
  if (queue.length > 0) setTimeout(pump, 0);
  else pumping = false;
}

function applyEvents(events: LogEvent[]): void {
  model.apply(events);
  const last = events[events.length - 1].seq;
  if (last > renderedSeq) {
    if (events.some((e) => e.seq > renderedSeq && e.type !== 'job:cmd:stdout' && e.type !== 'job:cmd:stderr' && e.type !== 'job:log')) refreshPhases();
    // A status change that happened between the snapshot the subscription sent and the
    // subscription itself reaches this page only as its events (they are caught up by seq;
    // the change's own message went to the subscribers of that moment): the events that
    // change the status, stored in the same statement as the row, fetch the header again.
    const started = events.some((e) => e.seq > renderedSeq && e.type === 'job:started') && (status === 'queued' || status === 'assigned');
    const done = events.some((e) => e.seq > renderedSeq && e.type === 'job:done') && !isFinal(status);
    if (started || done) refreshHeader();
    renderedSeq = Math.max(renderedSeq, last);
  }
  if (pendingLine >= 0 && pendingLine < model.lineCount && view.revealLine(pendingLine)) pendingLine = -1;
  view.schedule();
  scheduleInfo();
}

function onJob(job: { status: string; attempt: number; lastSeq: number }): void {
  if (job.attempt !== attempt) {
    // The job was re-queued: its new attempt numbers its events from 1 again.
    attempt = job.attempt;
    model.reset();
    queue.length = 0;
    receivedSeq = 0;
    renderedSeq = 0;
    socket.send({ type: 'subscribe', jobId: boot.jobId, after: 0 });
    refreshPhases();
  }
  if (job.status !== status) {
    status = job.status;
    refreshHeader();
    refreshPhases();
  }
  scheduleInfo();
}

socket = new LiveSocket({
  onOpen: (s, reconnected) => {
    s.send({ type: 'subscribe', jobId: boot.jobId, after: receivedSeq });
    if (reconnected) {
      refreshHeader();
      refreshPhases();
    }
  },
  onMessage: (m) => {
    if (m.type === 'events' && m.jobId === boot.jobId) onEvents(m.events);
    else if (m.type === 'job' && m.job.id === boot.jobId) onJob(m.job);
    else if (m.type === 'error') info.textContent = `Live updates failed: ${m.message}`;
  },
});

document.getElementById('log-search')!.addEventListener('submit', (e) => {
  e.preventDefault();
  const query = (document.getElementById('log-find') as HTMLInputElement).value;
  if (!query) return;
  const found = view.find(query, view.firstVisibleLine() + 1);
  if (found < 0) {
    info.textContent = `No line contains "${query}"`;
    return;
  }
  history.replaceState(null, '', `#L${found + 1}`);
  view.revealLine(found);
});

window.addEventListener('hashchange', applyHash);
applyHash();
updateInfo();
view.schedule();
