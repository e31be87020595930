import type pg from 'pg';
import type { OrderCustomerNameRow, OrderLineRow, OrderRows, OrderSummaryRow } from './orderReadModel.js';

/** A summary row as PostgreSQL returns it. */
type StoredSummary = Omit<OrderSummaryRow, 'created_at' | 'updated_at' | 'last_position'> & {
  created_at: Date;
  updated_at: Date;
  last_position: string;
};

/** The columns of the orders read model's tables, as the projection writes them. */
export const SUMMARY_COLUMNS = {
  order_id: 'text',
  customer_id: 'text',
  status: 'text',
  total_cents: 'int',
  item_count: 'int',
  version: 'int',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  last_position: 'bigint',
  customer_name: 'text',
};
export const NAME_COLUMNS = { customer_id: 'text', name: 'text', last_position: 'bigint' };
export const LINE_COLUMNS = { order_id: 'text', sku: 'text', name: 'text', quantity: 'int', unit_price_cents: 'int', line_no: 'int' };

/** The customers' names kept for their orders, by customer id. */
export async function loadCustomerNames(tx: pg.ClientBase, ids: string[]): Promise<OrderCustomerNameRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<Omit<OrderCustomerNameRow, 'last_position'> & { last_position: string }>({
    name: 'orders_projection_load_customer_names',
    text: 'SELECT * FROM order_customer_names WHERE customer_id = ANY($1::text[])',
    values: [ids],
  });
  return rows.map((row) => ({ ...row, last_position: BigInt(row.last_position) }));
}

/** The summaries of `ids` with their lines (in line order): one query. */
export async function loadOrderRows(tx: pg.ClientBase, ids: string[]): Promise<OrderRows> {
  const { rows } = await tx.query<StoredSummary & { lines: OrderLineRow[] }>({
    name: 'orders_projection_load',
    text: `SELECT s.*, coalesce((SELECT json_agg(l ORDER BY l.line_no) FROM order_lines l WHERE l.order_id = s.order_id), '[]') AS lines
           FROM order_summaries s WHERE s.order_id = ANY($1::text[])`,
    values: [ids],
  });
  const loaded: OrderRows = { summaries: new Map(), lines: new Map(), customers: new Map() };
  for (const { lines, ...row } of rows) {
    loaded.summaries.set(row.order_id, {
      ...row,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      last_position: BigInt(row.last_position),
    });
    if (lines.length > 0) loaded.lines.set(row.order_id, lines);
  }
  return loaded;
}
