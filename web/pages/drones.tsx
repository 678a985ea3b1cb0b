/** The drones: who is connected, with what labels and capacity, running what; drain or disconnect. */
import type { DroneRow } from '../../server/db/drones.ts';
import { RelTime } from '../components/times.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';
import { buildPath } from '../../common/urls.ts';

export interface DroneListItem {
  row: DroneRow;
  /** When it was last heard from (fleet-view.ts). */
  lastSeenAt: Date;
  /** Set while it is connected, to this queen or another. */
  live?: { running: number; jobs: { id: string; label: string }[] };
  /** The queen it is, or was last, connected to (queens sharing one database). */
  queen?: { address: string; live: boolean; self: boolean };
}

/** Which queen: "this queen", its address, or that it is gone. */
function QueenCell({ queen }: { queen?: DroneListItem['queen'] }) {
  if (!queen) return <span class="muted">—</span>;
  if (queen.self) return <span>this queen</span>;
  return queen.live ? <code>{queen.address}</code> : <span class="muted"><code>{queen.address}</code> (stopped)</span>;
}

export function DronesTable({ ctx, drones }: { ctx: PageContext; drones: DroneListItem[] }) {
  if (drones.length === 0) {
    return <div id="drones" data-fragment="/fragments/drones"><p class="empty">No drone has connected yet. Start one with <code>npx hive drone --queen ws://this-host:8080 --token …</code>.</p></div>;
  }
  return (
    <div id="drones" data-fragment="/fragments/drones" class="table-wrap">
      <table class="list">
        <caption class="sr-only">Drones</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Queen</th><th scope="col">Labels</th><th scope="col">Running</th><th scope="col">Speed</th><th scope="col">Plugins</th><th scope="col">Last seen</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {drones.map(({ row, live, queen, lastSeenAt }) => {
            const state = !live ? 'disconnected' : row.draining ? 'draining' : 'connected';
            return (
              <tr data-drone={row.name}>
                <th scope="row">{row.name}</th>
                <td><span class={`status status-drone-${state}`}>{state}</span>{!live && row.draining ? <span class="muted small"> (drained)</span> : ''}</td>
                <td><QueenCell queen={queen} /></td>
                <td>{row.labels.length ? row.labels.map((l) => <span class="tag">{l}</span>) : <span class="muted">none</span>}</td>
                <td>
                  {live ? `${live.running} of ${row.capacity}` : <span class="muted">— of {row.capacity}</span>}
                  {live?.jobs.length ? <ul class="plain-list small">{live.jobs.map((j) => <li><a href={buildPath(j.id)}>{j.label}</a></li>)}</ul> : ''}
                </td>
                <td>{row.speed}</td>
                <td>{row.plugins.length ? row.plugins.join(', ') : <span class="muted">none</span>}</td>
                <td><RelTime at={lastSeenAt} /></td>
                <td class="actions">
                  {!row.draining && ctx.user?.isAdmin ? (
                    <form method="post" action={`/drones/${row.id}/drain`} class="inline" data-confirm={`Drain ${row.name}? It finishes its jobs and takes no new ones until resumed.`}>
                      <CsrfField token={ctx.csrf} />
                      <button type="submit" aria-label={`Drain ${row.name}`}>Drain</button>
                    </form>
                  ) : ''}
                  {row.draining && ctx.user?.isAdmin ? (
                    <form method="post" action={`/drones/${row.id}/resume`} class="inline">
                      <CsrfField token={ctx.csrf} />
                      <button type="submit" aria-label={`Resume ${row.name}`}>Resume</button>
                    </form>
                  ) : ''}
                  {live && ctx.user?.isAdmin ? (
                    <form method="post" action={`/drones/${row.id}/disconnect`} class="inline" data-confirm={`Disconnect ${row.name}? Its running jobs continue on the drone, which reconnects by itself unless stopped.`}>
                      <CsrfField token={ctx.csrf} />
                      <button type="submit" class="danger" aria-label={`Disconnect ${row.name}`}>Disconnect</button>
                    </form>
                  ) : ''}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function DronesPage({ ctx, drones, notice }: { ctx: PageContext; drones: DroneListItem[]; notice?: string }) {
  return (
    <Layout ctx={ctx} title="Drones" nav="drones" scripts={['lists.js']} live>
      <h1>Drones</h1>
      {notice ? <p class="notice" role="status">{notice}</p> : ''}
      <p class="muted small">Draining a drone lets it finish its jobs and gives it no new ones until it is resumed; it stays drained across reconnects. Disconnecting closes its connection; a drone that is still running reconnects with backoff.</p>
      <div data-live-list="drones"><DronesTable ctx={ctx} drones={drones} /></div>
    </Layout>
  );
}
