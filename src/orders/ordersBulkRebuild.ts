import type pg from 'pg';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { BulkContext, BulkRebuild } from '../projections/projection.js';
import { insertMany } from '../projections/rows.js';
import {
  applyOrderEvents,
  CUSTOMER_NAME_EVENT_TYPES,
  customerNameOf,
  isOrderEvent,
  ORDER_EVENT_TYPES,
  orderIdOf,
  type OrderRows,
} from './orderReadModel.js';
import { LINE_COLUMNS, loadOrderRows, NAME_COLUMNS, SUMMARY_COLUMNS } from './orderRows.js';

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

/**
 * How the orders projection is rebuilt in bulk: the live path's fold over large batches, its rows
 * held in memory and written in large statements, its history copied inside the database.
 */
export const ordersBulkRebuild = {
  start: startBulk,
  fold: foldBulk,
  size: bulkSize,
  flush: flushBulk,
  heldTables: ['order_summaries', 'order_lines', 'order_customer_names'],
} satisfies BulkRebuild<OrdersBulk> as BulkRebuild<unknown>;
