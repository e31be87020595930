import type pg from 'pg';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { BulkContext, BulkRebuild, Projection } from '../projections/projection.js';
import { insertMany, recordset, RowWrites, toJsonb } from '../projections/rows.js';
import {
  applyOrderEvents,
  CUSTOMER_NAME_EVENT_TYPES,
  customerNameOf,
  isOrderEvent,
  ORDER_EVENT_TYPES,
  orderIdOf,
  type OrderCustomerNameRow,
  type OrderHistoryRow,
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
    if (history.length > 0) writes.add(insertHistory(writes, history));
    writeCustomerNames(writes, rows, customersChanged, touched);
    await writes.run(tx);
  },
  // Functions declared below (hoisted), so this object can name them.
  rebuild: {
    start: startBulk,
    fold: foldBulk,
    size: bulkSize,
    flush: flushBulk,
    heldTables: ['order_summaries', 'order_lines', 'order_customer_names'],
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
  // unnest, not jsonb_to_recordset: the planner counts the elements of an array parameter, but
  // takes any recordset for 100 rows and then reads every order summary to join them by hash.
  writes.add(
    `UPDATE order_summaries s SET customer_name = r.name
     FROM unnest(${writes.param(names.map((n) => n.customer_id))}::text[], ${writes.param(names.map((n) => n.name))}::text[]) AS r(customer_id, name)
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

/**
 * What a bulk rebuild holds between writes: the orders folded since the last flush, with their
 * lines, and every customer's name. An order whose rows an earlier flush wrote is read back when
 * its next event comes, and its rows are replaced when flushed again.
 *
 * The name on an order is always its customer's current one (the live fold sets it at creation
 * and on every customer event), so the bulk path keeps only the customers' names while folding and
 * puts them on the orders when it writes them, rather than visiting a customer's orders per event.
 */
interface OrdersBulk {
  rows: OrderRows;
  /** Orders read back from the tables (written by an earlier flush). */
  reloaded: Set<string>;
  /** Customers whose name changed since the last flush. */
  customersChanged: Set<string>;
  /** Customers whose row an earlier flush wrote. */
  customersWritten: Set<string>;
  /** Whether a flush has written any order yet (until then no order is in the tables). */
  flushed: boolean;
  /**
   * History is copied from the log in one statement up to this position (started at the first
   * batch, running while the batches are folded), and batch by batch after it.
   */
  copiedAtOnce: bigint;
  /** The history copy still running while batches are folded. */
  copying?: Promise<unknown>;
  /** Order events up to `copiedAtOnce` the fold skipped (their history rows are deleted after the copy). */
  skipped: string[];
  context: BulkContext;
}

/**
 * Statements the history copy up to the first head is split into, by position range, each on a
 * connection of its own: PostgreSQL copies on more than one core while Node folds (an INSERT ...
 * SELECT never runs in parallel by itself).
 */
const HISTORY_COPIES = 2;

const ORDER_TYPES: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);
const CUSTOMER_TYPES: ReadonlySet<string> = new Set(CUSTOMER_NAME_EVENT_TYPES);

function startBulk(upTo: bigint, context: BulkContext): OrdersBulk {
  return {
    context,
    copiedAtOnce: upTo,
    skipped: [],
    rows: { summaries: new Map(), lines: new Map(), customers: new Map() },
    reloaded: new Set(),
    customersChanged: new Set(),
    customersWritten: new Set(),
    flushed: false,
  };
}

/** Folds a batch with the live path's fold and copies its history rows at once (they never change). */
async function foldBulk(tx: pg.ClientBase, state: OrdersBulk, events: RecordedEvent[]): Promise<void> {
  const orderEvents: RecordedEvent[] = [];
  for (const event of events) {
    if (isOrderEvent(event) && ORDER_TYPES.has(event.type)) {
      orderEvents.push(event);
    } else if (CUSTOMER_TYPES.has(event.type)) {
      // Each event comes once, in position order: the last one of a customer decides their name.
      const { customerId, name } = customerNameOf(event);
      state.rows.customers.set(customerId, { customer_id: customerId, name, last_position: event.position });
      state.customersChanged.add(customerId);
    } else {
      // The fold knows only these: a type added to the projection must be folded here too.
      throw new Error(`the bulk rebuild of orders does not fold ${event.type} events`);
    }
  }
  if (orderEvents.length === 0) return;
  if (state.flushed) {
    const missing = [...new Set(orderEvents.map(orderIdOf))].filter((id) => !state.rows.summaries.has(id));
    const loaded = await loadOrderRows(tx, missing);
    for (const [id, summary] of loaded.summaries) {
      state.rows.summaries.set(id, summary);
      state.rows.lines.set(id, loaded.lines.get(id) ?? []);
      state.reloaded.add(id);
    }
  }
  const { changed } = applyOrderEvents(state.rows, orderEvents, { history: false });
  // History rows are the order events the fold applied, copied inside the database rather than
  // shipped back: up to the first head in one statement started at the first batch (running while
  // the rest is folded), after it by the batch's position range (every event of these types in it).
  const folded = new Set(changed);
  const notFolded = changed.length === orderEvents.length ? [] : orderEvents.filter((e) => !folded.has(e));
  const first = orderEvents[0]!.position;
  const last = orderEvents.at(-1)!.position;
  if (state.copying === undefined && first <= state.copiedAtOnce) {
    state.copying = inFlight(
      Promise.all(
        splitRange(first, state.copiedAtOnce, HISTORY_COPIES).map(([from, to]) =>
          state.context.session((session) => copyHistory(session, from, to, [])),
        ),
      ),
    );
  }
  for (const event of notFolded) if (event.position <= state.copiedAtOnce) state.skipped.push(event.position.toString());
  if (last > state.copiedAtOnce) {
    const after = orderEvents.filter((e) => e.position > state.copiedAtOnce);
    const except = notFolded.filter((e) => e.position > state.copiedAtOnce).map((e) => e.position.toString());
    await state.copying;
    state.copying = inFlight(copyHistory(tx, after[0]!.position, last, except));
  }
}

/** Copies the history rows of the order events from `from` to `to` (positions), but `except`. */
function copyHistory(tx: pg.ClientBase, from: bigint, to: bigint, except: string[]): Promise<unknown> {
  return tx.query({
    name: 'orders_rebuild_history',
    text: `INSERT INTO order_history (position, order_id, version, type, occurred_at, data, schema_version)
           SELECT e.position, substr(e.stream_id, length($5) + 1), e.version, e.type, coalesce((e.metadata->>'occurredAt')::timestamptz, e.recorded_at), e.data, e.schema_version
           FROM events e
           WHERE e.position BETWEEN $1 AND $2 AND e.type = ANY($3::text[]) AND NOT e.position = ANY($4::bigint[])`,
    values: [from.toString(), to.toString(), ORDER_EVENT_TYPES, except, ORDER_STREAMS.of('')],
  });
}

/** `[from, to]` cut into `parts` consecutive ranges (fewer when it holds fewer positions). */
function splitRange(from: bigint, to: bigint, parts: number): [bigint, bigint][] {
  const size = (to - from + 1n + BigInt(parts) - 1n) / BigInt(parts);
  const ranges: [bigint, bigint][] = [];
  for (let start = from; start <= to; start += size) ranges.push([start, start + size - 1n < to ? start + size - 1n : to]);
  return ranges;
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

/**
 * Writes the held orders with plain INSERTs in large chunks (their old rows, if any, deleted
 * first) with their customers' current names, the names of orders written earlier whose customer
 * changed since, and the changed customers' rows. Every customer stays held (few, and each order
 * folded later needs its name).
 */
async function flushBulk(tx: pg.ClientBase, state: OrdersBulk): Promise<void> {
  await state.copying;
  if (state.skipped.length > 0) {
    await tx.query('DELETE FROM order_history WHERE position = ANY($1::bigint[])', [state.skipped]);
    state.skipped = [];
  }
  const { summaries, lines, customers } = state.rows;
  if (state.reloaded.size > 0) {
    const ids = [...state.reloaded];
    await tx.query('DELETE FROM order_lines WHERE order_id = ANY($1::text[])', [ids]);
    await tx.query('DELETE FROM order_summaries WHERE order_id = ANY($1::text[])', [ids]);
  }
  for (const summary of summaries.values()) summary.customer_name = customers.get(summary.customer_id)?.name ?? null;
  // The two tables at once, on two connections.
  await Promise.all([
    insertMany(tx, 'order_summaries', SUMMARY_COLUMNS, [...summaries.values()]),
    state.context.session((session) => insertMany(session, 'order_lines', LINE_COLUMNS, [...lines.values()].flat())),
  ]);
  if (state.customersChanged.size > 0) {
    const changed = [...state.customersChanged].map((id) => customers.get(id)!);
    if (state.flushed) {
      await tx.query(
        `UPDATE order_summaries s SET customer_name = c.name FROM unnest($1::text[], $2::text[]) AS c(customer_id, name)
         WHERE s.customer_id = c.customer_id AND s.customer_name IS DISTINCT FROM c.name`,
        [changed.map((c) => c.customer_id), changed.map((c) => c.name)],
      );
    }
    const rewritten = changed.filter((c) => state.customersWritten.has(c.customer_id)).map((c) => c.customer_id);
    if (rewritten.length > 0) await tx.query('DELETE FROM order_customer_names WHERE customer_id = ANY($1::text[])', [rewritten]);
    await insertMany(tx, 'order_customer_names', NAME_COLUMNS, changed);
    for (const { customer_id } of changed) state.customersWritten.add(customer_id);
  }
  state.flushed ||= summaries.size > 0;
  summaries.clear();
  lines.clear();
  state.reloaded.clear();
  state.customersChanged.clear();
}
