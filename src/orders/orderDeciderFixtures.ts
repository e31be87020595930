import { deciderSpec } from '../domain/testing/givenWhenThen.js';
import { decideOrder, orderAggregate } from './orderDecider.js';
import { ORDER_STATUSES, type OrderCommand, type OrderEvent, type OrderStatus } from './orderEvents.js';

// What the order decider's specs share: an order's past events in each status, and the commands.

/** given(past events).when(command).then(new events or an error) against the order decider. */
export const given = deciderSpec(orderAggregate, decideOrder);

// --- Past events -------------------------------------------------------------------------------

export const orderId = 'order-1';
export const customerId = 'customer-1';

export const created = { type: 'OrderCreated', data: { orderId, customerId } } satisfies OrderEvent;
export const itemAdded = (sku: string, name: string, quantity: number, unitPriceCents: number): OrderEvent => ({
  type: 'ItemAdded',
  data: { sku, name, quantity, unitPriceCents },
});
export const widgetAdded = (quantity = 2, unitPriceCents = 250) => itemAdded('WID-1', 'Widget', quantity, unitPriceCents);
export const gadgetAdded = (quantity = 1, unitPriceCents = 1000) => itemAdded('GAD-1', 'Gadget', quantity, unitPriceCents);
export const itemRemoved = (sku: string, quantity: number): OrderEvent => ({ type: 'ItemRemoved', data: { sku, quantity } });

/** 2 x 250 + 1 x 1000. */
export const TOTAL = 1500;
export const submitted: OrderEvent = {
  type: 'OrderSubmitted',
  data: {
    totalCents: TOTAL,
    lines: [
      { sku: 'WID-1', quantity: 2 },
      { sku: 'GAD-1', quantity: 1 },
    ],
  },
};
export const paid = { type: 'PaymentRecorded', data: { amountCents: TOTAL, paymentRef: 'pay-1' } } satisfies OrderEvent;
export const shipped = { type: 'OrderShipped', data: { carrier: 'DHL', trackingNumber: 'TRK-1' } } satisfies OrderEvent;
export const delivered = { type: 'OrderDelivered', data: {} } satisfies OrderEvent;
export const cancelled = (previousStatus: OrderStatus, reason = 'changed my mind'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { reason, previousStatus },
});
export const refunded = { type: 'RefundRecorded', data: { amountCents: TOTAL, paymentRef: 'pay-1' } } satisfies OrderEvent;
export const PAYMENT_DUE_AT = '2024-05-01T10:34:00.000Z';
export const expired = { type: 'OrderExpired', data: { paymentDueAt: PAYMENT_DUE_AT } } satisfies OrderEvent;

/** One history per status, each with the same two lines (WID-1 x2 @250, GAD-1 x1 @1000). */
export const draftOrder = [created, widgetAdded(), gadgetAdded()];
export const submittedOrder = [...draftOrder, submitted];
export const paidOrder = [...submittedOrder, paid];
export const shippedOrder = [...paidOrder, shipped];
export const deliveredOrder = [...shippedOrder, delivered];
export const cancelledOrder = [...draftOrder, cancelled('DRAFT')];
export const expiredOrder = [...submittedOrder, expired];

export const orderIn: Record<OrderStatus, OrderEvent[]> = {
  DRAFT: draftOrder,
  SUBMITTED: submittedOrder,
  PAID: paidOrder,
  SHIPPED: shippedOrder,
  DELIVERED: deliveredOrder,
  CANCELLED: cancelledOrder,
  EXPIRED: expiredOrder,
};
/** `[status, history]` for every status but the allowed ones (for `it.each`, named with `%s`). */
export const ordersExcept = (...allowed: OrderStatus[]): [OrderStatus, OrderEvent[]][] =>
  ORDER_STATUSES.filter((status) => !allowed.includes(status)).map((status) => [status, orderIn[status]]);

// --- Commands ----------------------------------------------------------------------------------

export const createOrder = { type: 'CreateOrder', orderId, customerId } satisfies OrderCommand;
export const addItem = (sku: string, quantity: number, product: { name: string; priceCents: number }): OrderCommand => ({
  type: 'AddItem',
  sku,
  quantity,
  product,
});
export const addWidget = (quantity = 1, priceCents = 250) => addItem('WID-1', quantity, { name: 'Widget', priceCents });
export const removeItem = (sku: string, quantity?: number): OrderCommand =>
  quantity === undefined ? { type: 'RemoveItem', sku } : { type: 'RemoveItem', sku, quantity };
export const submitOrder = { type: 'SubmitOrder' } satisfies OrderCommand;
export const recordPayment = (amountCents: number, paymentRef = 'pay-1', paymentRefClaimedBy: string | null = null): OrderCommand => ({
  type: 'RecordPayment',
  amountCents,
  paymentRef,
  paymentRefClaimedBy,
});
export const shipOrder = { type: 'ShipOrder', carrier: 'DHL', trackingNumber: 'TRK-1' } satisfies OrderCommand;
export const deliverOrder = { type: 'DeliverOrder' } satisfies OrderCommand;
export const cancelOrder = (byStaff: boolean, reason = 'changed my mind'): OrderCommand => ({ type: 'CancelOrder', reason, byStaff });
export const expireOrder = { type: 'ExpireOrder', paymentDueAt: PAYMENT_DUE_AT, now: '2024-05-01T10:34:00.500Z' } satisfies OrderCommand;
