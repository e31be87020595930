import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { CommandNotice } from './CommandNotice.js';
import { ErrorNotice } from './ErrorNotice.js';
import { formatTime } from './format.js';
import type { DeliveryStatus, WebhookDeliveryRowFragment } from './gql/graphql.js';
import { useCommand } from './useCommand.js';
import { RedeliverWebhookMutation, WebhookDeliveriesQuery } from './webhookOperations.js';

const RECENT = 50;
// Deliveries have no push of their own; a short poll shows attempts as they happen.
const POLL_MS = 2_000;
const STATUSES: readonly DeliveryStatus[] = ['PENDING', 'FAILED', 'DELIVERED', 'DEAD'];

/**
 * The newest deliveries, of every endpoint or the one chosen, each with every attempt (status,
 * latency, the answer's first bytes, the error). Filtering on DEAD lists the dead letters; a dead or
 * failed delivery can be sent again on its own.
 */
export function WebhookDeliveries({ endpointId, onRefused }: { endpointId?: string; onRefused: (reason: string) => void }) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const { data, error, loading } = useQuery(WebhookDeliveriesQuery, {
    variables: { endpointId: endpointId ?? null, status: status || null, first: RECENT },
    pollInterval: POLL_MS,
    notifyOnNetworkStatusChange: false,
  });
  const deliveries = data?.webhookDeliveries.edges.map((edge) => edge.node) ?? [];
  return (
    <section className="panel" aria-labelledby="deliveries-title" data-testid="webhook-deliveries">
      <header className="panel-header">
        <h2 id="deliveries-title">{status === 'DEAD' ? 'Dead letters' : 'Recent deliveries'}</h2>
        <label className="muted">
          Status{' '}
          <select aria-label="Delivery status" value={status} onChange={(e) => setStatus(e.target.value as DeliveryStatus | '')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{data ? `${data.webhookDeliveries.totalCount} in all` : ''}</span>
      </header>
      {error && <ErrorNotice what="the deliveries" error={error} onRefused={onRefused} />}
      {loading && !data && <p className="muted">Loading deliveries…</p>}
      {data && deliveries.length === 0 && <p className="muted">No deliveries.</p>}
      {deliveries.length > 0 && (
        <table className="table compact">
          <thead>
            <tr>
              <th>Event</th>
              <th>Subject</th>
              <th>Status</th>
              <th>Attempts</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {deliveries.map((delivery) => (
              <DeliveryRow key={delivery.id} delivery={delivery} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DeliveryRow({ delivery }: { delivery: WebhookDeliveryRowFragment }) {
  const redeliver = useCommand(RedeliverWebhookMutation);
  const { id, eventType, subject, status, nextAttemptAt, attempts } = delivery;
  return (
    <tr data-testid="webhook-delivery" data-delivery-id={id} data-status={status} data-subject={subject}>
      <td className="mono">{eventType}</td>
      <td className="mono">{subject}</td>
      <td>
        <span className={`badge badge-delivery-${status.toLowerCase()}`}>{status}</span>
        {nextAttemptAt && <div className="muted">next try {formatTime(nextAttemptAt)}</div>}
      </td>
      <td>
        <ol className="attempts">
          {attempts.map((attempt, i) => (
            <li key={i} data-testid="webhook-attempt" data-status-code={attempt.statusCode ?? ''}>
              {formatTime(attempt.at)} · <strong>{attempt.statusCode ?? 'no answer'}</strong> · {attempt.latencyMs} ms
              {attempt.error && <span className="field-error"> · {attempt.error}</span>}
              {attempt.responseBody && <code className="answer-excerpt"> {attempt.responseBody}</code>}
            </li>
          ))}
        </ol>
      </td>
      <td>
        {(status === 'DEAD' || status === 'FAILED') && (
          <button type="button" disabled={redeliver.busy} onClick={() => void redeliver.run({ deliveryId: id }, 'On its way again.')}>
            Redeliver
          </button>
        )}
        <CommandNotice outcome={redeliver.outcome} />
      </td>
    </tr>
  );
}
