/** Where to point the forge's webhook, a button for a new webhook secret, and recent deliveries. */
import type { DeliveryView, ProjectView } from '../../../server/routes/json-views.ts';
import { buildPath } from '../../../common/urls.ts';
import { ApiForm } from '../api-form.tsx';
import { RelTime } from '../times.tsx';

export function WebhookSection({ project, publicUrl, deliveries, buildNumbers }: { project: ProjectView; publicUrl: string; deliveries: DeliveryView[]; buildNumbers: Map<string, number> }) {
  const base = publicUrl.replace(/\/$/, '');
  return (
    <section class="card" aria-labelledby="webhook-title" id="webhook-section">
      <h2 id="webhook-title" class="h3">Webhook</h2>
      <p>Point a webhook of the repository at this URL (content type JSON; events: pushes, pull/merge requests, tags), with the project's webhook secret:</p>
      <ul class="plain-list">
        {(project.provider ? [project.provider] : ['github', 'gitlab']).map((p) => (
          <li><span class="muted">{p === 'github' ? 'GitHub' : 'GitLab'}:</span> <code class="token-line">{`${base}/hooks/${p}`}</code></li>
        ))}
      </ul>
      <p class="muted small">The secret is stored encrypted and shown only when it is made.{project.hasWebhookSecret ? '' : ' This project has none yet.'}</p>
      <ApiForm method="POST" url={`/api/projects/${project.id}/webhook-secret`} class="inline" submit="New webhook secret" submitClass=""
        showOnce={['webhookSecret', 'The new webhook secret']} confirm="Make a new webhook secret? The current one stops working." label="New webhook secret" />
      <h3 class="h4">Recent deliveries</h3>
      {deliveries.length === 0 ? <p class="muted">None received yet.</p> : (
        <div class="table-wrap">
          <table class="list compact">
            <caption class="sr-only">Webhook deliveries, newest first</caption>
            <thead><tr><th scope="col">Received</th><th scope="col">Event</th><th scope="col">Outcome</th><th scope="col">Builds</th></tr></thead>
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td><RelTime at={d.receivedAt} /></td>
                  <td><code>{d.event}</code> <span class="muted small" title={d.deliveryId}>{d.provider}</span></td>
                  <td>{d.outcome}</td>
                  <td>{d.jobIds.length ? d.jobIds.map((id, i) => {
                    const number = buildNumbers.get(id);
                    return <>{i ? ', ' : ''}{number === undefined ? <span class="muted">deleted</span> : <a href={buildPath(id)}>#{number}</a>}</>;
                  }) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
