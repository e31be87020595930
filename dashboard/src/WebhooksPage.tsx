import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { CommandNotice } from './CommandNotice.js';
import { ErrorNotice } from './ErrorNotice.js';
import type { WebhookEndpointRowFragment } from './gql/graphql.js';
import { ReactionTargets } from './ReactionTargets.js';
import { useCommand } from './useCommand.js';
import { WebhookDeliveries } from './WebhookDeliveries.js';
import { WebhookEndpointForm } from './WebhookEndpointForm.js';
import {
  EnableWebhookEndpointMutation,
  RedeliverDeadWebhooksMutation,
  WebhookDeliveriesQuery,
  WebhookEndpointsQuery,
} from './webhookOperations.js';

// Health and lag change with every event; a short poll keeps the page current.
const POLL_MS = 2_000;

/**
 * Webhooks (admin): every endpoint with its health (enabled, or disabled and why), how many
 * messages it has not received yet and how many are dead letters; a form to add one; and the
 * recent deliveries, of every endpoint or the one picked, with their attempts.
 */
export function WebhooksPage({ onRefused }: { onRefused: (reason: string) => void }) {
  const { data, error, loading } = useQuery(WebhookEndpointsQuery, { pollInterval: POLL_MS, notifyOnNetworkStatusChange: false });
  const [selected, setSelected] = useState<string>();
  return (
    <div className="stack">
      <section className="panel" aria-labelledby="webhooks-title">
        <header className="panel-header">
          <h2 id="webhooks-title">Webhook endpoints</h2>
          <span className="muted">{data ? `${data.webhookEndpoints.length} endpoints` : ''}</span>
        </header>
        <WebhookEndpointForm />
        {error && <ErrorNotice what="the webhook endpoints" error={error} onRefused={onRefused} />}
        {loading && !data && <p className="muted">Loading endpoints…</p>}
        {data && data.webhookEndpoints.length > 0 && (
          <table className="table" data-testid="webhook-endpoints">
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>Health</th>
                <th className="num">Lag</th>
                <th className="num">Dead</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.webhookEndpoints.map((endpoint) => (
                <EndpointRow
                  key={endpoint.id}
                  endpoint={endpoint}
                  selected={endpoint.id === selected}
                  onSelect={() => setSelected(endpoint.id === selected ? undefined : endpoint.id)}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <ReactionTargets onRefused={onRefused} />
      <WebhookDeliveries endpointId={selected} onRefused={onRefused} />
    </div>
  );
}

function EndpointRow({ endpoint, selected, onSelect }: { endpoint: WebhookEndpointRowFragment; selected: boolean; onSelect: () => void }) {
  const { id, url, description, eventTypes, enabled, disabledReason, lag } = endpoint;
  // Only the count: the dead letters themselves are listed below, filtered on DEAD.
  const dead = useQuery(WebhookDeliveriesQuery, {
    variables: { endpointId: id, status: 'DEAD', first: 1 },
    pollInterval: POLL_MS,
    notifyOnNetworkStatusChange: false,
  }).data?.webhookDeliveries.totalCount;
  const enable = useCommand(EnableWebhookEndpointMutation);
  const redeliverDead = useCommand(RedeliverDeadWebhooksMutation);
  return (
    <tr
      className={selected ? 'selected' : undefined}
      data-testid="webhook-endpoint"
      data-endpoint-id={id}
      data-enabled={enabled}
      data-lag={lag}
      data-dead={dead ?? ''}
    >
      <td>
        <div className="mono">{url}</div>
        {description && <div className="muted">{description}</div>}
      </td>
      <td className="mono">{eventTypes ? eventTypes.join(', ') : 'every type'}</td>
      <td>
        <span className={`badge ${enabled ? 'badge-delivery-delivered' : 'badge-delivery-dead'}`}>{enabled ? 'enabled' : 'disabled'}</span>
        {disabledReason && <div className="muted">{disabledReason}</div>}
      </td>
      <td className="num">{lag}</td>
      <td className="num">{dead ?? ''}</td>
      <td>
        <div className="actions">
          <button type="button" onClick={onSelect}>
            {selected ? 'All deliveries' : 'Deliveries'}
          </button>
          {!enabled && (
            <button type="button" disabled={enable.busy} onClick={() => void enable.run({ endpointId: id }, 'Enabled.')}>
              Enable
            </button>
          )}
          <button
            type="button"
            disabled={redeliverDead.busy || !dead}
            onClick={() => void redeliverDead.run({ endpointId: id }, 'Dead letters on their way again.')}
          >
            Redeliver all dead
          </button>
        </div>
        <CommandNotice outcome={enable.outcome ?? redeliverDead.outcome} />
      </td>
    </tr>
  );
}
