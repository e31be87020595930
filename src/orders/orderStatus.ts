import type { OrderEventType, OrderStatus } from './orderEvents.js';

/** A status-changing event: the statuses an order may be in for it to happen, and where it leads. */
export interface StatusTransition {
  from: readonly OrderStatus[];
  to: OrderStatus;
}

/**
 * The order's status machine, the one place it is written: the decider checks `from` before it
 * emits an event, `evolve` and the read model move to `to`, and subscriptions report the change.
 * Typed against the event union, so a new order event does not compile until it says whether it
 * changes the status (null: it does not).
 */
export const ORDER_TRANSITIONS = {
  OrderCreated: { from: [], to: 'DRAFT' },
  ItemAdded: null,
  ItemRemoved: null,
  OrderSubmitted: { from: ['DRAFT'], to: 'SUBMITTED' },
  PaymentRecorded: { from: ['SUBMITTED'], to: 'PAID' },
  OrderShipped: { from: ['PAID'], to: 'SHIPPED' },
  OrderDelivered: { from: ['SHIPPED'], to: 'DELIVERED' },
  // Several statuses lead here; the event records which one it left (`previousStatus`).
  OrderCancelled: { from: ['DRAFT', 'SUBMITTED', 'PAID'], to: 'CANCELLED' },
  RefundRecorded: null,
  // Only the system issues it, when a submitted order's payment deadline has passed.
  OrderExpired: { from: ['SUBMITTED'], to: 'EXPIRED' },
} as const satisfies Record<OrderEventType, StatusTransition | null>;

/** The transition an event type makes, or undefined when it leaves the status as it is. */
export function transitionOf(type: string): StatusTransition | undefined {
  return (ORDER_TRANSITIONS as Record<string, StatusTransition | null>)[type] ?? undefined;
}

/** The status an order has after an event of `type`. */
export function statusAfter(status: OrderStatus, type: OrderEventType): OrderStatus {
  return ORDER_TRANSITIONS[type]?.to ?? status;
}
