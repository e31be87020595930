import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { recordset, RowWrites, toJsonb } from '../projections/rows.js';
import {
  applyOrderEvents,
  CUSTOMER_NAME_EVENT_TYPES,
  isOrderEvent,
  ORDER_EVENT_TYPES,
  orderIdOf,
  type OrderCustomerNameRow,
  type OrderLineRow,
  type OrderRows,
  type OrderSummaryRow,
} from './orderReadModel.js';

type StoredSummary = Omit<OrderSummaryRow, 'created_at' | 'updated_at' | 'last_position'> & {
  created_at: Date;
  updated_at: Date;
  last_position: string;
};

/**
 * Projection `orders`: order summaries (with their customer's current name), their lines and every
 * order's history. Version 2 added the customer's name, kept from the customer events.
 */
export const ordersProjection: Projection = {
  name: 'orders',
  version: 2,
  eventTypes: [...ORDER_EVENT_TYPES, ...CUSTOMER_NAME_EVENT_TYPES],
  tables: ['order_summaries', 'order_lines', 'order_history', 'order_customer_names'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const orderEvents = events.filter(isOrderEvent);
    const rows = await loadOrderRows(tx, [...new Set(orderEvents.map(orderIdOf))]);
    const customerIds = events.flatMap((e) =>
      e.type === 'OrderCreated' || !isOrderEvent(e) ? [(e.data as { customerId: string }).customerId] : [],
    );
    for (const row of await loadCustomerNames(tx, [...new Set(customerIds)])) rows.customers.set(row.customer_id, row);
    const { history, changed, customersChanged } = applyOrderEvents(rows, events);
    const touched = [...new Set(changed.map(orderIdOf))];
    if (touched.length === 0 && customersChanged.length === 0) return;

    // One statement for the whole batch. Lines are few per order: the touched orders' lines are
    // written as they now are, and any line no longer there is deleted (disjoint rows).
    const writes = new RowWrites().upsert(
      'order_summaries',
      SUMMARY_COLUMNS,
      ['order_id'],
      touched.map((id) => rows.summaries.get(id)!) as never,
    );
    const lines = touched.flatMap((id) => rows.lines.get(id) ?? []);
    const kept = writes.param(toJsonb(lines.map(({ order_id, sku }) => ({ order_id, sku }))));
    writes.add(
      `DELETE FROM order_lines l WHERE l.order_id = ANY(${writes.param(touched)}::text[])
       AND NOT EXISTS (SELECT 1 FROM ${recordset(kept, { order_id: 'text', sku: 'text' })} WHERE r.order_id = l.order_id AND r.sku = l.sku)`,
    );
    writes.upsert('order_lines', LINE_COLUMNS, ['order_id', 'sku'], lines as never);
    // History rows are the events themselves: copied inside the database rather than shipping
    // every payload back and forth. They keep the payload as stored, with its schema version, and
    // are upcast when read (like every read of the log), so no history row ever needs rewriting.
    // The order ids come along with the positions (parsed from stream ids in one place, not in SQL).
    const positions = writes.param(history.map((h) => h.position.toString()));
    const orderIds = writes.param(history.map((h) => h.order_id));
    writes.add(
      `INSERT INTO order_history (position, order_id, version, type, occurred_at, data, schema_version)
       SELECT e.position, h.order_id, e.version, e.type, coalesce((e.metadata->>'occurredAt')::timestamptz, e.recorded_at), e.data, e.schema_version
       FROM unnest(${positions}::bigint[], ${orderIds}::text[]) AS h(position, order_id) JOIN events e ON e.position = h.position
       ON CONFLICT (position) DO NOTHING`,
    );
    writeCustomerNames(writes, rows, customersChanged, touched);
    await writes.run(tx);
  },
};

const SUMMARY_COLUMNS = {
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
const NAME_COLUMNS = { customer_id: 'text', name: 'text', last_position: 'bigint' };
const LINE_COLUMNS = { order_id: 'text', sku: 'text', name: 'text', quantity: 'int', unit_price_cents: 'int', line_no: 'int' };

/**
 * Writes the changed customers' names, and the name onto their orders that this batch did not
 * otherwise touch (the touched ones are written whole, with the name already on them: the writes
 * of one statement must not meet on a row). A customer with many orders is one UPDATE, not a
 * load of every order.
 */
function writeCustomerNames(writes: RowWrites, rows: OrderRows, customersChanged: RecordedEvent[], touched: string[]): void {
  if (customersChanged.length === 0) return;
  const ids = [...new Set(customersChanged.map((e) => (e.data as { customerId: string }).customerId))];
  const names = ids.map((id) => rows.customers.get(id)!);
  writes.upsert('order_customer_names', NAME_COLUMNS, ['customer_id'], names as never);
  writes.add(
    `UPDATE order_summaries s SET customer_name = r.name
     FROM ${recordset(writes.param(toJsonb(names)), { customer_id: 'text', name: 'text' })}
     WHERE s.customer_id = r.customer_id AND s.order_id <> ALL(${writes.param(touched)}::text[])
       AND s.customer_name IS DISTINCT FROM r.name`,
  );
}

async function loadCustomerNames(tx: pg.ClientBase, ids: string[]): Promise<OrderCustomerNameRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<Omit<OrderCustomerNameRow, 'last_position'> & { last_position: string }>({
    name: 'orders_projection_load_customer_names',
    text: 'SELECT * FROM order_customer_names WHERE customer_id = ANY($1::text[])',
    values: [ids],
  });
  return rows.map((row) => ({ ...row, last_position: BigInt(row.last_position) }));
}

/** The summaries of `ids` with their lines (in line order): one query. */
async function loadOrderRows(tx: pg.ClientBase, ids: string[]): Promise<OrderRows> {
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
