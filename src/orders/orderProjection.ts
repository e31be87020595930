import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { loadRows, upsertRows } from '../projections/rows.js';
import { applyOrderEvents, ORDER_EVENT_TYPES, orderIdOf, type OrderLineRow, type OrderRows, type OrderSummaryRow } from './orderReadModel.js';

type StoredSummary = Omit<OrderSummaryRow, 'created_at' | 'updated_at' | 'last_position'> & { created_at: Date; updated_at: Date; last_position: string };

/** Projection `orders`: order summaries, their lines and every order's history. */
export const ordersProjection: Projection = {
  name: 'orders',
  eventTypes: ORDER_EVENT_TYPES,
  tables: ['order_summaries', 'order_lines', 'order_history'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const ids = [...new Set(events.map(orderIdOf))];
    const rows: OrderRows = { summaries: new Map(), lines: new Map() };
    for (const row of await loadRows<StoredSummary>(tx, 'order_summaries', 'order_id', ids)) {
      rows.summaries.set(row.order_id, { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(), last_position: BigInt(row.last_position) });
    }
    for (const line of await loadRows<OrderLineRow>(tx, 'order_lines', 'order_id', ids)) {
      rows.lines.set(line.order_id, [...(rows.lines.get(line.order_id) ?? []), line].sort((a, b) => a.line_no - b.line_no));
    }
    const { history, changed } = applyOrderEvents(rows, events);
    const touched = [...new Set(changed.map(orderIdOf))];
    if (touched.length === 0) return [];

    await upsertRows(tx, 'order_summaries', SUMMARY_COLUMNS, ['order_id'], touched.map((id) => rows.summaries.get(id)!) as never);
    // Lines are few per order: replace the touched orders' lines wholesale.
    await tx.query('DELETE FROM order_lines WHERE order_id = ANY($1::text[])', [touched]);
    await upsertRows(tx, 'order_lines', LINE_COLUMNS, ['order_id', 'sku'], touched.flatMap((id) => rows.lines.get(id) ?? []) as never);
    // History rows are the events themselves: copy them inside the database rather than shipping
    // every payload back and forth.
    await tx.query(
      `INSERT INTO order_history (position, order_id, version, type, occurred_at, data)
       SELECT position, substr(stream_id, 7), version, type, coalesce((metadata->>'occurredAt')::timestamptz, recorded_at), data
       FROM events WHERE position = ANY($1::bigint[]) ON CONFLICT (position) DO NOTHING`,
      [history.map((h) => h.position.toString())],
    );
    return changed.map((event) => ({ kind: 'order', key: orderIdOf(event), event }));
  },
};

const SUMMARY_COLUMNS = {
  order_id: 'text', customer_id: 'text', status: 'text', total_cents: 'int', item_count: 'int', version: 'int',
  created_at: 'timestamptz', updated_at: 'timestamptz', last_position: 'bigint',
};
const LINE_COLUMNS = { order_id: 'text', sku: 'text', name: 'text', quantity: 'int', unit_price_cents: 'int', line_no: 'int' };
