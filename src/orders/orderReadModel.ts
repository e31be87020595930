import { assertNever } from '../domain/aggregate.js';
import type { RecordedEvent } from '../eventStore/types.js';
import { occurredAtOf } from '../commands/loadAggregate.js';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { OrderEvent, OrderStatus } from './orderEvents.js';
import { addToLines, lineTotalCents, removeFromLines } from './orderLines.js';
import { statusAfter } from './orderStatus.js';

/** A row of `order_summaries` (as the projection handles it: times as ISO strings, positions as bigint). */
export interface OrderSummaryRow {
  order_id: string;
  customer_id: string;
  status: OrderStatus;
  total_cents: number;
  item_count: number;
  version: number;
  created_at: string;
  updated_at: string;
  last_position: bigint;
  /** The customer's current name (null until they are registered, or once forgotten). */
  customer_name: string | null;
}

/** A row of `order_customer_names`: a customer's current name as the orders read model knows it. */
export interface OrderCustomerNameRow {
  customer_id: string;
  name: string | null;
  last_position: bigint;
}

export interface OrderLineRow {
  order_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
  line_no: number;
}

export interface OrderHistoryRow {
  position: bigint;
  order_id: string;
  version: number;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

/** The orders read model for the orders (and customers) a batch touches. */
export interface OrderRows {
  summaries: Map<string, OrderSummaryRow>;
  lines: Map<string, OrderLineRow[]>;
  customers: Map<string, OrderCustomerNameRow>;
}

export const ORDER_EVENT_TYPES = [
  'OrderCreated',
  'ItemAdded',
  'ItemRemoved',
  'OrderSubmitted',
  'PaymentRecorded',
  'OrderShipped',
  'OrderDelivered',
  'OrderCancelled',
  'RefundRecorded',
  'OrderExpired',
] as const satisfies readonly OrderEvent['type'][];

/** The customer events that set or erase the name shown on a customer's orders. */
export const CUSTOMER_NAME_EVENT_TYPES = ['CustomerRegistered', 'CustomerForgotten'] as const;

export const orderIdOf = (event: RecordedEvent): string => ORDER_STREAMS.idOf(event.streamId);

/** True for an event of an order stream (the projection also reads customer events). */
export const isOrderEvent = (event: RecordedEvent): boolean => ORDER_STREAMS.owns(event.streamId);

/**
 * Applies events to the rows in memory (pure apart from mutating `rows`): returns the history
 * entries to insert and the ids of the orders that changed. An event at or below a row's
 * `last_position` was applied before and is skipped, so a replayed batch changes nothing.
 */
export function applyOrderEvents(
  rows: OrderRows,
  events: RecordedEvent[],
  options: { history?: boolean } = {},
): { history: OrderHistoryRow[]; changed: RecordedEvent[]; customersChanged: RecordedEvent[] } {
  // `history: false`: none are made (a rebuild copies them from the log; a batch's worth of them,
  // alive until the batch is folded, outlives V8's young generation and costs a major collection).
  const withHistory = options.history ?? true;
  const history: OrderHistoryRow[] = [];
  const changed: RecordedEvent[] = [];
  const customersChanged: RecordedEvent[] = [];
  for (const event of events) {
    if (!isOrderEvent(event)) {
      if (applyCustomerName(rows, event)) customersChanged.push(event);
      continue;
    }
    const orderId = orderIdOf(event);
    const summary = rows.summaries.get(orderId);
    if (summary && event.position <= summary.last_position) continue;
    if (!summary && event.type !== 'OrderCreated') continue; // its creation was skipped by an admin
    const occurredAt = occurredAtOf(event);
    assertWellFormed(event);
    const next = applyOne(summary, rows.lines.get(orderId) ?? [], event as unknown as OrderEvent, orderId, occurredAt);
    rows.lines.set(orderId, next.lines);
    const totals = rowTotals(next.lines);
    // Completes the fresh row applyOne made (Object.assign rather than a spread into a new object:
    // several times faster in V8, and a rebuild folds millions of these).
    rows.summaries.set(
      orderId,
      Object.assign(next.summary, {
        customer_name: summary ? summary.customer_name : (rows.customers.get(next.summary.customer_id)?.name ?? null),
        total_cents: totals.totalCents,
        item_count: totals.itemCount,
        version: event.version,
        updated_at: occurredAt,
        last_position: event.position,
      }),
    );
    if (withHistory)
      history.push({
        position: event.position,
        order_id: orderId,
        version: event.version,
        type: event.type,
        occurred_at: occurredAt,
        data: event.data,
      });
    changed.push(event);
  }
  return { history, changed, customersChanged };
}

/** The order's total in cents and its number of units, from its line rows (as orderTotals, without a copy of each line). */
function rowTotals(lines: readonly OrderLineRow[]): { totalCents: number; itemCount: number } {
  let totalCents = 0;
  let itemCount = 0;
  for (const line of lines) {
    totalCents += lineTotalCents({ quantity: line.quantity, unitPriceCents: line.unit_price_cents });
    itemCount += line.quantity;
  }
  return { totalCents, itemCount };
}

/** The number of a new line: one after the highest so far. */
function nextLineNo(lines: readonly OrderLineRow[]): number {
  let highest = 0;
  for (const line of lines) if (line.line_no > highest) highest = line.line_no;
  return highest + 1;
}

/**
 * Sets a customer's name on the customer's row and on every order of theirs held in `rows`
 * (orders not loaded are updated in the database). Returns false for a replay. The name is the
 * current one, not the one at the order's creation: a registration seen after the order, a new
 * name, or a forgotten customer reaches every order. Events of a forgotten customer read with
 * `personal` null, and `CustomerForgotten` (`{ customerId }`) erases the name from then on.
 */
function applyCustomerName(rows: OrderRows, event: RecordedEvent): boolean {
  const { customerId, name } = customerNameOf(event);
  const known = rows.customers.get(customerId);
  if (known && event.position <= known.last_position) return false;
  rows.customers.set(customerId, { customer_id: customerId, name, last_position: event.position });
  for (const [orderId, summary] of rows.summaries) {
    if (summary.customer_id === customerId) rows.summaries.set(orderId, { ...summary, customer_name: name });
  }
  return true;
}

/** The customer a customer event is about, and their name from then on (null once forgotten). */
export function customerNameOf(event: RecordedEvent): { customerId: string; name: string | null } {
  const data = event.data as { customerId: string; personal?: { name: string } | null };
  return { customerId: data.customerId, name: event.type === 'CustomerRegistered' ? (data.personal?.name ?? null) : null };
}

/**
 * Refuses an item event whose numbers are not what the deciders write, so a damaged event stops
 * the projection (FAILED, for an admin to look at) instead of corrupting totals.
 */
function assertWellFormed(event: RecordedEvent): void {
  if (event.type !== 'ItemAdded' && event.type !== 'ItemRemoved') return;
  const { sku, quantity, unitPriceCents } = event.data as { sku?: unknown; quantity?: unknown; unitPriceCents?: unknown };
  const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (typeof sku !== 'string' || !positiveInt(quantity) || (event.type === 'ItemAdded' && !positiveInt(unitPriceCents))) {
    throw new Error(`malformed ${event.type} event ${JSON.stringify(event.data).slice(0, 200)}`);
  }
}

type Base = Omit<OrderSummaryRow, 'total_cents' | 'item_count' | 'version' | 'updated_at' | 'last_position' | 'customer_name'>;

function applyOne(
  summary: OrderSummaryRow | undefined,
  lines: OrderLineRow[],
  event: OrderEvent,
  orderId: string,
  at: string,
): { summary: Base; lines: OrderLineRow[] } {
  if (event.type === 'OrderCreated') {
    return {
      summary: { order_id: orderId, customer_id: event.data.customerId, status: statusAfter('DRAFT', event.type), created_at: at },
      lines: [],
    };
  }
  const base: Base = {
    order_id: orderId,
    customer_id: summary!.customer_id,
    status: statusAfter(summary!.status, event.type),
    created_at: summary!.created_at,
  };
  switch (event.type) {
    case 'ItemAdded': {
      const { sku, name, quantity, unitPriceCents } = event.data;
      return {
        summary: base,
        lines: addToLines(lines, sku, quantity, () => ({
          order_id: orderId,
          sku,
          name,
          quantity,
          unit_price_cents: unitPriceCents,
          line_no: nextLineNo(lines),
        })),
      };
    }
    case 'ItemRemoved':
      return { summary: base, lines: removeFromLines(lines, event.data.sku, event.data.quantity) };
    case 'OrderSubmitted':
    case 'PaymentRecorded':
    case 'OrderShipped':
    case 'OrderDelivered':
    case 'OrderCancelled':
    case 'RefundRecorded':
    case 'OrderExpired':
      return { summary: base, lines };
    default:
      return assertNever(event);
  }
}
