import type pg from 'pg';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { BulkRebuild, Projection } from '../projections/projection.js';
import { insertMany, recordset, RowWrites, toJsonb } from '../projections/rows.js';
import { applyOrderEvents, ORDER_EVENT_TYPES, orderIdOf, type OrderHistoryRow, type OrderLineRow, type OrderRows, type OrderSummaryRow } from './orderReadModel.js';

type StoredSummary = Omit<OrderSummaryRow, 'created_at' | 'updated_at' | 'last_position'> & { created_at: Date; updated_at: Date; last_position: string };

/** Projection `orders`: order summaries, their lines and every order's history. */
export const ordersProjection: Projection = {
  name: 'orders',
  version: 1,
  eventTypes: ORDER_EVENT_TYPES,
  tables: ['order_summaries', 'order_lines', 'order_history'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const rows = await loadOrderRows(tx, [...new Set(events.map(orderIdOf))]);
    const { history, changed } = applyOrderEvents(rows, events);
    const touched = [...new Set(changed.map(orderIdOf))];
    if (touched.length === 0) return [];

    // One statement for the whole batch. Lines are few per order: the touched orders' lines are
    // written as they now are, and any line no longer there is deleted (disjoint rows).
    const writes = new RowWrites().upsert('order_summaries', SUMMARY_COLUMNS, ['order_id'], touched.map((id) => rows.summaries.get(id)!) as never);
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
    await writes.run(tx);
    return changed.map((event) => ({ kind: 'order', key: orderIdOf(event), event }));
  },
  // Functions declared below (hoisted), so this object can name them.
  rebuild: {
    start: startBulk, fold: foldBulk, size: bulkSize, flush: flushBulk, heldTables: ['order_summaries', 'order_lines'],
  } satisfies BulkRebuild<OrdersBulk> as BulkRebuild<unknown>,
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

const SUMMARY_COLUMNS = {
  order_id: 'text', customer_id: 'text', status: 'text', total_cents: 'int', item_count: 'int', version: 'int',
  created_at: 'timestamptz', updated_at: 'timestamptz', last_position: 'bigint',
};
const LINE_COLUMNS = { order_id: 'text', sku: 'text', name: 'text', quantity: 'int', unit_price_cents: 'int', line_no: 'int' };

/** The summaries of `ids` with their lines (in line order): one query. */
async function loadOrderRows(tx: pg.ClientBase, ids: string[]): Promise<OrderRows> {
  const { rows } = await tx.query<StoredSummary & { lines: OrderLineRow[] }>({
    name: 'orders_projection_load',
    text: `SELECT s.*, coalesce((SELECT json_agg(l ORDER BY l.line_no) FROM order_lines l WHERE l.order_id = s.order_id), '[]') AS lines
           FROM order_summaries s WHERE s.order_id = ANY($1::text[])`,
    values: [ids],
  });
  const loaded: OrderRows = { summaries: new Map(), lines: new Map() };
  for (const { lines, ...row } of rows) {
    loaded.summaries.set(row.order_id, { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(), last_position: BigInt(row.last_position) });
    if (lines.length > 0) loaded.lines.set(row.order_id, lines);
  }
  return loaded;
}

/**
 * What a bulk rebuild holds between writes: the orders folded since the last flush, with their
 * lines. An order whose rows an earlier flush wrote is read back when its next event comes, and
 * its rows are replaced when flushed again.
 */
interface OrdersBulk {
  rows: OrderRows;
  /** Orders read back from the tables (written by an earlier flush). */
  reloaded: Set<string>;
  /** Whether a flush has written anything yet (until then no order is in the tables). */
  flushed: boolean;
  /** The last batch's history copy, still running while the next batch is folded. */
  copying?: Promise<unknown>;
}

const ORDER_TYPES: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);

function startBulk(): OrdersBulk {
  return { rows: { summaries: new Map(), lines: new Map() }, reloaded: new Set(), flushed: false };
}

/** Folds a batch with the live path's fold and copies its history rows at once (they never change). */
async function foldBulk(tx: pg.ClientBase, state: OrdersBulk, events: RecordedEvent[]): Promise<void> {
  // The fold below knows only order events: a type added to the projection must be folded here too.
  const foreign = events.find((e) => !ORDER_TYPES.has(e.type));
  if (foreign) throw new Error(`the bulk rebuild of orders does not fold ${foreign.type} events`);
  if (state.flushed) {
    const missing = [...new Set(events.map(orderIdOf))].filter((id) => !state.rows.summaries.has(id));
    const loaded = await loadOrderRows(tx, missing);
    for (const [id, summary] of loaded.summaries) {
      state.rows.summaries.set(id, summary);
      state.rows.lines.set(id, loaded.lines.get(id) ?? []);
      state.reloaded.add(id);
    }
  }
  const { changed } = applyOrderEvents(state.rows, events);
  // The batch's history rows are its events, copied inside the database by position range (the
  // batch is every event of these types in it) rather than shipped back by position.
  const folded = new Set(changed);
  await state.copying;
  state.copying = inFlight(tx.query({
    name: 'orders_rebuild_history',
    text: `INSERT INTO order_history (position, order_id, version, type, occurred_at, data, schema_version)
           SELECT e.position, substr(e.stream_id, length($5) + 1), e.version, e.type, coalesce((e.metadata->>'occurredAt')::timestamptz, e.recorded_at), e.data, e.schema_version
           FROM events e
           WHERE e.position BETWEEN $1 AND $2 AND e.type = ANY($3::text[]) AND NOT e.position = ANY($4::bigint[])`,
    values: [
      events[0]!.position.toString(),
      events.at(-1)!.position.toString(),
      ORDER_EVENT_TYPES,
      changed.length === events.length ? [] : events.filter((e) => !folded.has(e)).map((e) => e.position.toString()),
      ORDER_STREAMS.of(''),
    ],
  }));
}

/** `promise`, with its failure left for whoever awaits it later (not an unhandled rejection meanwhile). */
function inFlight<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function bulkSize(state: OrdersBulk): number {
  let lines = 0;
  for (const orderLines of state.rows.lines.values()) lines += orderLines.length;
  return state.rows.summaries.size + lines;
}

/** Writes the held orders with plain INSERTs in large chunks (their old rows, if any, deleted first). */
async function flushBulk(tx: pg.ClientBase, state: OrdersBulk): Promise<void> {
  await state.copying;
  state.copying = undefined;
  if (state.reloaded.size > 0) {
    const ids = [...state.reloaded];
    await tx.query('DELETE FROM order_lines WHERE order_id = ANY($1::text[])', [ids]);
    await tx.query('DELETE FROM order_summaries WHERE order_id = ANY($1::text[])', [ids]);
  }
  await insertMany(tx, 'order_summaries', SUMMARY_COLUMNS, [...state.rows.summaries.values()]);
  await insertMany(tx, 'order_lines', LINE_COLUMNS, [...state.rows.lines.values()].flat());
  state.flushed ||= state.rows.summaries.size > 0;
  state.rows.summaries.clear();
  state.rows.lines.clear();
  state.reloaded.clear();
}
