import { useFragment, useQuery, useSubscription } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents, formatShortTime, formatTime, shortId } from './format.js';
import { OrderFeedSubscription, OrderRowFields, OrdersQuery } from './operations.js';
import { linkProps, type Route } from './router.js';
import { StatusBadge } from './StatusBadge.js';

const PAGE_SIZE = 50;

/** What the feed has told us since the page opened: orders created since, and each order's last pushed version. */
interface LiveState {
  created: ReadonlyMap<string, string>;
  pushedVersion: ReadonlyMap<string, number>;
}

/**
 * The newest orders, kept live by the staff `orderFeed`. Each pushed event carries the order, which
 * Apollo writes to its normalised cache entry, so a row (reading that entry) changes in place. An
 * order created after the page loaded is added at the top. Created ids are kept here rather than
 * written into the cached list, so an order created while the first page is still loading is not
 * lost when that page arrives.
 */
export function OrdersTable({
  selectedId,
  navigate,
  onRefused,
}: {
  selectedId?: string;
  navigate: (route: Route) => void;
  onRefused: (reason: string) => void;
}) {
  const { data, error, loading } = useQuery(OrdersQuery, { variables: { first: PAGE_SIZE } });
  const [live, setLive] = useState<LiveState>({ created: new Map(), pushedVersion: new Map() });
  const feed = useSubscription(OrderFeedSubscription, {
    onData: ({ data: pushed }) => {
      const event = pushed.data?.orderFeed;
      if (!event) return;
      setLive((previous) => ({
        created: event.type === 'OrderCreated' ? new Map(previous.created).set(event.orderId, event.order.createdAt) : previous.created,
        pushedVersion: new Map(previous.pushedVersion).set(event.orderId, event.version),
      }));
    },
  });

  const rows = useMemo(() => {
    const createdAt = new Map<string, string>();
    for (const edge of data?.orders.edges ?? []) createdAt.set(edge.node.id, edge.node.createdAt);
    const added = [...live.created].filter(([id]) => !createdAt.has(id));
    for (const [id, at] of added) createdAt.set(id, at);
    const ids = [...createdAt].sort(([, a], [, b]) => (a < b ? 1 : a > b ? -1 : 0)).map(([id]) => id);
    return { ids: ids.slice(0, PAGE_SIZE), total: (data?.orders.totalCount ?? 0) + added.length };
  }, [data, live.created]);

  return (
    <section className="panel" aria-labelledby="orders-title">
      <header className="panel-header">
        <h2 id="orders-title">Orders</h2>
        <span className="muted" data-testid="order-count">
          {data ? `${rows.ids.length} of ${rows.total}` : ''}
        </span>
      </header>
      {error && <ErrorNotice what="the orders" error={error} onRefused={onRefused} />}
      {feed.error && <ErrorNotice what="the live order feed" error={feed.error} onRefused={onRefused} />}
      {loading && !data ? (
        <p className="muted">Loading orders…</p>
      ) : data && rows.ids.length === 0 ? (
        <p className="muted empty">No orders yet. New orders appear here as they are created.</p>
      ) : data ? (
        <table className="table" data-testid="orders-table">
          <thead>
            <tr>
              <th>Order</th>
              <th>Customer</th>
              <th>Status</th>
              <th className="num">Items</th>
              <th className="num">Total</th>
              <th className="num">Version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.ids.map((id) => (
              <OrderRow key={id} id={id} selected={id === selectedId} pushedVersion={live.pushedVersion.get(id)} navigate={navigate} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** One order, read from its cache entry: a pushed change re-renders this row only. */
function OrderRow({
  id,
  selected,
  pushedVersion,
  navigate,
}: {
  id: string;
  selected: boolean;
  pushedVersion?: number;
  navigate: (route: Route) => void;
}) {
  const { data: order, complete } = useFragment({ fragment: OrderRowFields, from: { __typename: 'Order', id } });
  if (!complete) return null;
  // Alternating between two identical animations restarts the highlight on every pushed version.
  const pulse = pushedVersion === undefined ? undefined : `pulse-${pushedVersion % 2}`;
  return (
    <tr
      data-testid="order-row"
      data-order-id={order.id}
      data-status={order.status}
      data-version={order.version}
      className={[selected ? 'selected' : '', pulse ?? ''].join(' ').trim() || undefined}
    >
      <td>
        <a {...linkProps({ screen: 'orders', orderId: order.id }, navigate)} className="mono">
          {order.id}
        </a>
      </td>
      <td title={order.customerId} data-testid="order-customer">
        {order.customerName ?? <span className="mono muted">{shortId(order.customerId)}</span>}
      </td>
      <td>
        <StatusBadge status={order.status} />
      </td>
      <td className="num">{order.itemCount}</td>
      <td className="num">{formatCents(order.totalCents)}</td>
      <td className="num">{order.version}</td>
      <td className="muted" title={formatTime(order.updatedAt)}>
        {formatShortTime(order.updatedAt)}
      </td>
    </tr>
  );
}
