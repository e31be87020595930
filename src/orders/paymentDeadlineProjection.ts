import type pg from 'pg';
import { occurredAtOf } from '../commands/loadAggregate.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { loadRows, RowWrites } from '../projections/rows.js';
import type { OrderEventType } from './orderEvents.js';
import { orderIdOf } from './orderReadModel.js';

/** A row of `payment_deadlines`. */
export interface PaymentDeadlineRow {
  order_id: string;
  submitted_at: string;
  pending: boolean;
  last_position: bigint;
}

/** Submission starts an order's deadline; a payment, a cancellation or the expiry itself ends it. */
export const PAYMENT_DEADLINE_EVENT_TYPES = [
  'OrderSubmitted',
  'PaymentRecorded',
  'OrderCancelled',
  'OrderExpired',
] as const satisfies readonly OrderEventType[];

export const PAYMENT_DEADLINES_PROJECTION = 'paymentDeadlines';

/**
 * Applies events to deadline rows in memory; returns the rows that changed. A row keeps the last
 * position applied to it (ended deadlines stay, not pending), so a replayed event changes nothing.
 * The row holds the submission time, not the due time: the timeout is applied when the deadline
 * is read, so orders submitted before deadlines existed count from their own submission too.
 */
export function applyPaymentDeadlineEvents(rows: Map<string, PaymentDeadlineRow>, events: RecordedEvent[]): PaymentDeadlineRow[] {
  const changed = new Map<string, PaymentDeadlineRow>();
  for (const event of events) {
    const orderId = orderIdOf(event);
    const row = rows.get(orderId);
    if (row && event.position <= row.last_position) continue;
    let next: PaymentDeadlineRow;
    if (event.type === 'OrderSubmitted')
      next = { order_id: orderId, submitted_at: occurredAtOf(event), pending: true, last_position: event.position };
    else if (row) next = { ...row, pending: false, last_position: event.position };
    else continue; // a draft cancelled before submission never had a deadline
    rows.set(orderId, next);
    changed.set(orderId, next);
  }
  return [...changed.values()];
}

type StoredRow = Omit<PaymentDeadlineRow, 'submitted_at' | 'last_position'> & { submitted_at: Date; last_position: string };

const COLUMNS = { order_id: 'text', submitted_at: 'timestamptz', pending: 'boolean', last_position: 'bigint' };

/**
 * Projection `paymentDeadlines`: the deadlines table the payment deadline timer fires from. Kept
 * like any read model (its own checkpoint and advisory lock, status and lag in `projections`,
 * rebuilt from the log), so the deadlines are durable and derived from the log alone.
 */
export const paymentDeadlinesProjection: Projection = {
  name: PAYMENT_DEADLINES_PROJECTION,
  version: 1,
  eventTypes: PAYMENT_DEADLINE_EVENT_TYPES,
  tables: ['payment_deadlines'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const rows = new Map<string, PaymentDeadlineRow>();
    for (const row of await loadRows<StoredRow>(tx, 'payment_deadlines', 'order_id', [...new Set(events.map(orderIdOf))])) {
      rows.set(row.order_id, { ...row, submitted_at: row.submitted_at.toISOString(), last_position: BigInt(row.last_position) });
    }
    const changed = applyPaymentDeadlineEvents(rows, events);
    await new RowWrites().upsert('payment_deadlines', COLUMNS, ['order_id'], changed as never).run(tx);
  },
};
