import { occurredAtOf } from '../commands/loadAggregate.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { OrderEvent, OrderEventType } from '../orders/orderEvents.js';

/** A row of `sales_minutes` as the projection handles it (the minute as an ISO string). */
export interface SalesMinuteRow {
  minute: string;
  orders_created: number;
  orders_submitted: number;
  orders_paid: number;
  orders_cancelled: number;
  orders_expired: number;
  revenue_cents: bigint;
  refunds_cents: bigint;
  last_position: bigint;
}

/** What each order event adds to the minute it occurred in; events not listed change no figure. */
const EFFECTS = {
  OrderCreated: (row) => void row.orders_created++,
  OrderSubmitted: (row) => void row.orders_submitted++,
  PaymentRecorded: (row, data) => {
    row.orders_paid++;
    row.revenue_cents += BigInt(data.amountCents);
  },
  OrderCancelled: (row) => void row.orders_cancelled++,
  OrderExpired: (row) => void row.orders_expired++,
  RefundRecorded: (row, data) => void (row.refunds_cents += BigInt(data.amountCents)),
} satisfies {
  [T in OrderEventType]?: (row: SalesMinuteRow, data: Extract<OrderEvent, { type: T }>['data']) => void;
};

export const SALES_EVENT_TYPES = Object.keys(EFFECTS) as (keyof typeof EFFECTS)[];

/** The UTC minute an ISO time falls in, as an ISO string. */
export function minuteOf(iso: string): string {
  const at = new Date(iso);
  at.setUTCSeconds(0, 0);
  return at.toISOString();
}

export const emptyMinute = (minute: string): SalesMinuteRow => ({
  minute,
  orders_created: 0,
  orders_submitted: 0,
  orders_paid: 0,
  orders_cancelled: 0,
  orders_expired: 0,
  revenue_cents: 0n,
  refunds_cents: 0n,
  last_position: 0n,
});

/**
 * Adds events to the minutes they occurred in (mutating `rows`); returns the minutes changed. A
 * minute's events come in log order, so an event at or below its `last_position` is a replay.
 * Returns the events that changed a minute.
 */
export function applySalesEvents(rows: Map<string, SalesMinuteRow>, events: readonly RecordedEvent[]): RecordedEvent[] {
  const changed: RecordedEvent[] = [];
  for (const event of events) {
    const effect = EFFECTS[event.type as keyof typeof EFFECTS] as ((row: SalesMinuteRow, data: unknown) => void) | undefined;
    if (!effect) continue;
    const minute = minuteOf(occurredAtOf(event));
    const row = rows.get(minute) ?? emptyMinute(minute);
    if (event.position <= row.last_position) continue;
    effect(row, event.data);
    row.last_position = event.position;
    rows.set(minute, row);
    changed.push(event);
  }
  return changed;
}
