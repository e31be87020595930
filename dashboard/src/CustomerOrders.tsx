import { useFragment, useQuery, useSubscription } from '@apollo/client/react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents, formatShortTime, formatTime } from './format.js';
import { CustomerOrderStatusSubscription } from './customerOperations.js';
import { OrderRowFields, OrdersQuery } from './operations.js';
import { StatusBadge } from './StatusBadge.js';

const PAGE_SIZE = 50;

/**
 * A signed-in customer's own orders (the API lists a customer nothing else), each kept live by its
 * own `orderStatusChanged`: the current status first, then every change, written to the order's
 * cache entry so its row changes in place, as a storefront built on this API would show it.
 */
export function CustomerOrders({ onRefused }: { onRefused: (reason: string) => void }) {
  const { data, error, loading } = useQuery(OrdersQuery, { variables: { first: PAGE_SIZE } });
  const ids = data?.orders.edges.map((edge) => edge.node.id) ?? [];
  return (
    <section className="panel" aria-labelledby="my-orders-title">
      <header className="panel-header">
        <h2 id="my-orders-title">My orders</h2>
        <span className="muted" data-testid="order-count">
          {data ? `${ids.length} of ${data.orders.totalCount}` : ''}
        </span>
      </header>
      {error && <ErrorNotice what="your orders" error={error} onRefused={onRefused} />}
      {loading && !data ? (
        <p className="muted">Loading your orders…</p>
      ) : data && ids.length === 0 ? (
        <p className="muted empty">No orders yet.</p>
      ) : data ? (
        <table className="table" data-testid="orders-table">
          <thead>
            <tr>
              <th>Order</th>
              <th>Status</th>
              <th className="num">Items</th>
              <th className="num">Total</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {ids.map((id) => (
              <CustomerOrderRow key={id} id={id} onRefused={onRefused} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function CustomerOrderRow({ id, onRefused }: { id: string; onRefused: (reason: string) => void }) {
  const { data: order, complete } = useFragment({ fragment: OrderRowFields, from: { __typename: 'Order', id } });
  const live = useSubscription(CustomerOrderStatusSubscription, { variables: { orderId: id } });
  if (!complete) return null;
  return (
    <tr data-testid="order-row" data-order-id={order.id} data-status={order.status} data-version={order.version}>
      <td className="mono">
        {order.id}
        {live.error && <ErrorNotice what="this order's live status" error={live.error} onRefused={onRefused} />}
      </td>
      <td>
        <StatusBadge status={order.status} />
      </td>
      <td className="num">{order.itemCount}</td>
      <td className="num">{formatCents(order.totalCents)}</td>
      <td className="muted" title={formatTime(order.updatedAt)}>
        {formatShortTime(order.updatedAt)}
      </td>
    </tr>
  );
}
