import type { RecordedEvent } from '../eventStore/types.js';
import type { OrderEvent } from './orderEvents.js';
import { applyOrderEvents, type OrderRows } from './orderReadModel.js';

// What the orders read model's specs share: stored order events and a fold into rows in memory.

export const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

/** A stored order event, as the projection reads it: `position` is global, `version` per stream; it happened at minute `position`. */
export function recorded(
  orderId: string,
  position: number,
  version: number,
  event: OrderEvent,
  occurredAt: string | null = at(position),
): RecordedEvent {
  return {
    position: BigInt(position),
    streamId: `Order-${orderId}`,
    streamType: 'Order',
    version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: occurredAt ? { occurredAt, actor: 'staff:alice' } : {},
    recordedAt: new Date(Date.UTC(2030, 0, 1)),
  };
}

export const created = (customerId = 'c-1'): OrderEvent => ({ type: 'OrderCreated', data: { orderId: 'ignored', customerId } });
export const added = (sku: string, quantity: number, unitPriceCents: number, name = `${sku} name`): OrderEvent => ({
  type: 'ItemAdded',
  data: { sku, name, quantity, unitPriceCents },
});
export const removed = (sku: string, quantity: number): OrderEvent => ({ type: 'ItemRemoved', data: { sku, quantity } });
export const submitted: OrderEvent = { type: 'OrderSubmitted', data: { totalCents: 0, lines: [] } };
export const paid = (amountCents: number): OrderEvent => ({ type: 'PaymentRecorded', data: { amountCents, paymentRef: 'pay-1' } });
export const shipped: OrderEvent = { type: 'OrderShipped', data: { carrier: 'DHL', trackingNumber: 'T1' } };
export const delivered: OrderEvent = { type: 'OrderDelivered', data: {} };
export const cancelled = (previousStatus: 'DRAFT' | 'SUBMITTED' | 'PAID'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { reason: 'changed my mind', previousStatus },
});
export const refunded = (amountCents: number): OrderEvent => ({ type: 'RefundRecorded', data: { amountCents, paymentRef: 'pay-1' } });

/** Events of one order, versions 1.. at consecutive positions from `firstPosition`. */
export function stream(orderId: string, firstPosition: number, ...events: OrderEvent[]): RecordedEvent[] {
  return events.map((e, i) => recorded(orderId, firstPosition + i, i + 1, e));
}

export const emptyRows = (): OrderRows => ({ summaries: new Map(), lines: new Map(), customers: new Map() });

export function fold(events: RecordedEvent[], rows = emptyRows()) {
  const result = applyOrderEvents(rows, events);
  return { rows, ...result };
}
