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
  type OrderHistoryRow,
  type OrderRows,
} from './orderReadModel.js';
import { LINE_COLUMNS, loadCustomerNames, loadOrderRows, NAME_COLUMNS, SUMMARY_COLUMNS } from './orderRows.js';
import { ordersBulkRebuild } from './ordersBulkRebuild.js';

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
    if (history.length > 0) writes.add(insertHistory(writes, history));
    writeCustomerNames(writes, rows, customersChanged, touched);
    await writes.run(tx);
  },
  rebuild: ordersBulkRebuild,
};

/**
 * History rows copied from the events of `history` (in position order). The position range lets
 * PostgreSQL read just those events by index, where the join alone could scan the whole log.
 */
function insertHistory(writes: RowWrites, history: OrderHistoryRow[]): string {
  const positions = writes.param(history.map((h) => h.position.toString()));
  const orderIds = writes.param(history.map((h) => h.order_id));
  const [first, last] = [writes.param(history[0]!.position.toString()), writes.param(history.at(-1)!.position.toString())];
  return `INSERT INTO order_history (position, order_id, version, type, occurred_at, data, schema_version)
          SELECT e.position, h.order_id, e.version, e.type, coalesce((e.metadata->>'occurredAt')::timestamptz, e.recorded_at), e.data, e.schema_version
          FROM unnest(${positions}::bigint[], ${orderIds}::text[]) AS h(position, order_id) JOIN events e ON e.position = h.position
          WHERE e.position BETWEEN ${first}::bigint AND ${last}::bigint
          ON CONFLICT (position) DO NOTHING`;
}

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
     FROM ${writes.arrays({ customer_id: 'text', name: 'text' }, names)}
     WHERE s.customer_id = r.customer_id AND s.order_id <> ALL(${writes.param(touched)}::text[])
       AND s.customer_name IS DISTINCT FROM r.name`,
  );
}
