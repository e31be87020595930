import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { loadRows, recordset, RowWrites, toJsonb } from '../projections/rows.js';
import {
  applySearchEvents,
  customerIdOf,
  SEARCH_EVENT_TYPES,
  type SearchCustomerRow,
  type SearchEntryRow,
  type SearchRows,
} from './searchReadModel.js';
import { ORDER_STREAMS } from '../domain/streamIds.js';

/**
 * The search document of a row, from its columns (given as SQL expressions). The 'simple'
 * configuration keeps words as written (lower-cased): names and skus are not stemmed, and no word
 * is dropped as a stop word. The customer's name and the order id weigh most, then the email (whole,
 * and split into its parts so `ada` finds `ada.lovelace@example.com`) and the skus, then the
 * product names; `ts_rank` ranks by these weights.
 */
export function searchDocumentSql(c: { name: string; email: string; orderId: string; lines: string }): string {
  const email = `coalesce(${c.email}, '')`;
  return `setweight(to_tsvector('simple', coalesce(${c.name}, '')), 'A')
    || setweight(to_tsvector('simple', ${c.orderId}), 'A')
    || setweight(to_tsvector('simple', ${email} || ' ' || translate(${email}, '@.+_-', '     ')), 'B')
    || setweight(to_tsvector('simple', jsonb_path_query_array(${c.lines}, '$[*].sku')), 'B')
    || setweight(to_tsvector('simple', jsonb_path_query_array(${c.lines}, '$[*].name')), 'C')`;
}

const ENTRY_COLUMNS = {
  order_id: 'text',
  customer_id: 'text',
  customer_name: 'text',
  customer_email: 'text',
  lines: 'jsonb',
  last_position: 'bigint',
};
const CUSTOMER_COLUMNS = { customer_id: 'text', name: 'text', email: 'text', last_position: 'bigint' };

type Stored<R> = Omit<R, 'last_position'> & { last_position: string };

/** Projection `search`: a full-text document per order, for `searchOrders`. */
export const searchProjection: Projection = {
  name: 'search',
  version: 1,
  eventTypes: SEARCH_EVENT_TYPES,
  tables: ['order_search', 'search_customers'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const orderIds = [...new Set(events.filter((e) => ORDER_STREAMS.owns(e.streamId)).map((e) => ORDER_STREAMS.idOf(e.streamId)))];
    const customerIds = new Set<string>();
    for (const e of events) {
      const id = customerIdOf(e) ?? (e.type === 'OrderCreated' ? (e.data as { customerId: string }).customerId : undefined);
      if (id !== undefined) customerIds.add(id);
    }
    const rows: SearchRows = { entries: new Map(), customers: new Map() };
    const { rows: entries } = await tx.query<Stored<SearchEntryRow>>({
      name: 'search_projection_load',
      text: `SELECT ${Object.keys(ENTRY_COLUMNS).join(', ')} FROM order_search WHERE order_id = ANY($1::text[])`,
      values: [orderIds],
    });
    for (const row of entries) rows.entries.set(row.order_id, { ...row, last_position: BigInt(row.last_position) });
    for (const row of await loadRows<Stored<SearchCustomerRow>>(tx, 'search_customers', 'customer_id', [...customerIds])) {
      rows.customers.set(row.customer_id, { ...row, last_position: BigInt(row.last_position) });
    }
    const { changed, customersChanged } = applySearchEvents(rows, events);
    const touched = [...new Set(changed.map((e) => ORDER_STREAMS.idOf(e.streamId)))];
    const writes = new RowWrites();
    if (touched.length > 0) {
      const entries = writes.param(toJsonb(touched.map((id) => rows.entries.get(id)!)));
      const columns = Object.keys(ENTRY_COLUMNS);
      writes.add(
        `INSERT INTO order_search (${columns.join(', ')}, document)
         SELECT ${columns.map((c) => `r.${c}`).join(', ')}, ${searchDocumentSql({ name: 'r.customer_name', email: 'r.customer_email', orderId: 'r.order_id', lines: 'r.lines' })}
         FROM ${recordset(entries, ENTRY_COLUMNS)}
         ON CONFLICT (order_id) DO UPDATE SET ${[...columns.filter((c) => c !== 'order_id'), 'document'].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
      );
    }
    if (customersChanged.length > 0) {
      const customers = [...new Set(customersChanged.map((e) => customerIdOf(e)!))].map((id) => rows.customers.get(id)!);
      writes.upsert('search_customers', CUSTOMER_COLUMNS, ['customer_id'], customers as never);
      // The customer's other orders (the touched ones were written whole just above: the writes of
      // one statement must not meet on a row) get the new words in place.
      writes.add(
        `UPDATE order_search s SET customer_name = r.name, customer_email = r.email,
           document = ${searchDocumentSql({ name: 'r.name', email: 'r.email', orderId: 's.order_id', lines: 's.lines' })}
         FROM ${writes.arrays({ customer_id: 'text', name: 'text', email: 'text' }, customers)}
         WHERE s.customer_id = r.customer_id AND s.order_id <> ALL(${writes.param(touched)}::text[])`,
      );
    }
    await writes.run(tx);
  },
};
