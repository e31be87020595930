import { useQuery, useSubscription } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents, formatTime } from './format.js';
import { OrderStatusSubscription, OrderTimelineQuery } from './operations.js';
import { OrderActions } from './OrderActions.js';
import { linkProps, type Route } from './router.js';
import { StatusBadge } from './StatusBadge.js';

/**
 * One order and every event of its life, each with its data as the log holds it. The history is read once; `orderStatusChanged` resumes
 * after its last position, so no change between the read and the subscription is missed. Pushed
 * orders (from this subscription or the feed) update the cached order; when its version passes the
 * timeline's last entry, the history is read again. Mount it with `key={orderId}`.
 */
export function OrderTimeline({
  orderId,
  actions,
  navigate,
  onRefused,
}: {
  orderId: string;
  /** Offer staff's actions (payment, shipping, delivery, cancelling). */
  actions: boolean;
  navigate: (route: Route) => void;
  onRefused: (reason: string) => void;
}) {
  const { data, error, loading, refetch } = useQuery(OrderTimelineQuery, { variables: { orderId }, notifyOnNetworkStatusChange: false });
  const history = data?.orderHistory ?? [];
  const last = history.at(-1);
  // The resume point is fixed once: later refetches must not restart the subscription.
  const [after, setAfter] = useState<string>();
  useEffect(() => {
    if (after === undefined && last) setAfter(last.position);
  }, [after, last]);

  const status = useSubscription(OrderStatusSubscription, {
    variables: { orderId, after },
    skip: after === undefined,
  });

  const version = data?.order?.version;
  useEffect(() => {
    if (version !== undefined && last && version > last.version) void refetch();
  }, [version, last, refetch]);

  const close = linkProps({ screen: 'orders' }, navigate);
  return (
    <aside className="panel timeline" aria-labelledby="timeline-title" data-testid="timeline">
      <header className="panel-header">
        <h2 id="timeline-title">
          Order <span className="mono">{orderId}</span>
        </h2>
        <a {...close} className="close" aria-label="Close the timeline">
          ×
        </a>
      </header>
      {error && <ErrorNotice what="the order" error={error} onRefused={onRefused} />}
      {status.error && <ErrorNotice what="the order's live status" error={status.error} onRefused={onRefused} />}
      {loading && !data && <p className="muted">Loading…</p>}
      {data && !data.order && <p className="muted">No such order.</p>}
      {data?.order && (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={data.order.status} />
            </dd>
            <dt>Customer</dt>
            <dd title={data.order.customerId}>{data.order.customerName ?? <span className="mono">{data.order.customerId}</span>}</dd>
            <dt>Total</dt>
            <dd>{formatCents(data.order.totalCents)}</dd>
            {data.order.shipment && (
              <>
                <dt>Shipment</dt>
                <dd data-testid="shipment">
                  {data.order.shipment.carrier} <span className="mono">{data.order.shipment.trackingNumber}</span>{' '}
                  <span className="muted">{formatTime(data.order.shipment.shippedAt)}</span>
                </dd>
              </>
            )}
          </dl>
          {actions && <OrderActions order={data.order} />}
          {data.order.items.length > 0 && (
            <table className="table compact">
              <tbody>
                {data.order.items.map((item) => (
                  <tr key={item.sku}>
                    <td className="mono">{item.sku}</td>
                    <td>{item.name}</td>
                    <td className="num">× {item.quantity}</td>
                    <td className="num">{formatCents(item.lineTotalCents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ol className="events">
            {history.map((entry) => (
              <li key={entry.position} data-testid="timeline-entry" data-type={entry.type}>
                <div className="event-head">
                  <span className="event-type">{entry.type}</span>
                  <span className="muted">
                    v{entry.version} · position {entry.position} · {formatTime(entry.occurredAt)}
                  </span>
                </div>
                <pre className="event-data" data-testid="event-data">
                  {JSON.stringify(entry.data, null, 2)}
                </pre>
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
