import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents, shortId } from './format.js';
import { SearchOrdersQuery } from './operations.js';
import { linkProps, type Route } from './router.js';
import { StatusBadge } from './StatusBadge.js';

const RESULTS = 20;

/**
 * A search box over `searchOrders`: words of a customer's name or email, an order id, a sku or a
 * product name (quotes for a phrase, `-word` to exclude). Each search asks the server afresh, so
 * an order placed a moment ago is found.
 */
export function OrderSearch({ navigate, onRefused }: { navigate: (route: Route) => void; onRefused: (reason: string) => void }) {
  const [value, setValue] = useState('');
  const [query, setQuery] = useState('');
  const { data, error, loading } = useQuery(SearchOrdersQuery, {
    variables: { query, first: RESULTS },
    skip: query === '',
    fetchPolicy: 'network-only',
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery(value.trim());
  };
  const found = data?.searchOrders;

  return (
    <section className="panel search" aria-labelledby="search-title">
      <header className="panel-header">
        <h2 id="search-title">Search orders</h2>
        {query !== '' && found && (
          <span className="muted" data-testid="search-count">
            {found.totalCount === 1 ? '1 match' : `${found.totalCount} matches`}
          </span>
        )}
      </header>
      <form className="search-form" role="search" onSubmit={submit}>
        <input
          type="search"
          aria-label="Search orders by customer, email, order id, sku or product"
          placeholder="Customer name, email, order id, sku or product"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" disabled={value.trim() === ''}>
          Search
        </button>
      </form>
      {error && <ErrorNotice what="the search" error={error} onRefused={onRefused} />}
      {query !== '' && loading && !found ? (
        <p className="muted">Searching…</p>
      ) : query !== '' && found && found.edges.length === 0 ? (
        <p className="muted empty">No order matches “{query}”.</p>
      ) : query !== '' && found ? (
        <table className="table" data-testid="search-results">
          <thead>
            <tr>
              <th>Order</th>
              <th>Customer</th>
              <th>Status</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {found.edges.map(({ node: order }) => (
              <tr key={order.id} data-testid="search-result" data-result-id={order.id}>
                <td>
                  <a {...linkProps({ screen: 'orders', orderId: order.id }, navigate)} className="mono">
                    {order.id}
                  </a>
                </td>
                <td title={order.customerId}>{order.customerName ?? <span className="mono muted">{shortId(order.customerId)}</span>}</td>
                <td>
                  <StatusBadge status={order.status} />
                </td>
                <td className="num">{formatCents(order.totalCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
