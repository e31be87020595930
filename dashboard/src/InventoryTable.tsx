import { useFragment, useQuery, useSubscription } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents } from './format.js';
import { InventorySubscription, ProductRowFields, ProductsQuery } from './operations.js';
import { AddProductForm, RestockForm } from './ProductForms.js';

const PAGE_SIZE = 100;

/**
 * The catalog with its stock, kept live by `inventoryChanged`: a pushed product updates its cache
 * entry (keyed by sku), so its row changes in place; a product added after the page loaded joins
 * the table in sku order.
 */
export function InventoryTable({ onRefused }: { onRefused: (reason: string) => void }) {
  const { data, error, loading } = useQuery(ProductsQuery, { variables: { first: PAGE_SIZE } });
  const [pushed, setPushed] = useState<ReadonlyMap<string, number>>(new Map());
  const feed = useSubscription(InventorySubscription, {
    onData: ({ data: change }) => {
      const product = change.data?.inventoryChanged;
      if (product) setPushed((previous) => new Map(previous).set(product.sku, (previous.get(product.sku) ?? 0) + 1));
    },
  });

  const skus = useMemo(() => {
    const all = new Set(data?.products.edges.map((edge) => edge.node.sku));
    for (const sku of pushed.keys()) all.add(sku);
    return [...all].sort();
  }, [data, pushed]);

  return (
    <section className="panel" aria-labelledby="inventory-title">
      <header className="panel-header">
        <h2 id="inventory-title">Inventory</h2>
        <span className="muted">{data ? `${skus.length} products` : ''}</span>
      </header>
      <AddProductForm />
      {error && <ErrorNotice what="the catalog" error={error} onRefused={onRefused} />}
      {feed.error && <ErrorNotice what="live stock changes" error={feed.error} onRefused={onRefused} />}
      {loading && !data ? (
        <p className="muted">Loading the catalog…</p>
      ) : data && skus.length === 0 ? (
        <p className="muted empty">No products yet.</p>
      ) : data ? (
        <table className="table" data-testid="inventory-table">
          <thead>
            <tr>
              <th>SKU</th>
              <th>Name</th>
              <th className="num">Price</th>
              <th className="num">On hand</th>
              <th className="num">Reserved</th>
              <th className="num">Available</th>
              <th>Restock</th>
            </tr>
          </thead>
          <tbody>
            {skus.map((sku) => (
              <ProductRow key={sku} sku={sku} pushes={pushed.get(sku)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function ProductRow({ sku, pushes }: { sku: string; pushes?: number }) {
  const { data: product, complete } = useFragment({ fragment: ProductRowFields, from: { __typename: 'Product', sku } });
  if (!complete) return null;
  const stock = product.available === 0 ? 'out' : product.available < 5 ? 'low' : undefined;
  return (
    <tr
      data-testid="product-row"
      data-sku={product.sku}
      data-available={product.available}
      className={pushes === undefined ? undefined : `pulse-${pushes % 2}`}
    >
      <td className="mono">{product.sku}</td>
      <td>{product.name}</td>
      <td className="num">{formatCents(product.priceCents)}</td>
      <td className="num">{product.onHand}</td>
      <td className="num">{product.reserved}</td>
      <td className="num">
        <span className={stock ? `stock stock-${stock}` : undefined}>{product.available}</span>
      </td>
      <td>
        <RestockForm sku={product.sku} />
      </td>
    </tr>
  );
}
