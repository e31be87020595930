import { ORDER_STREAMS } from '../domain/streamIds.js';
import { integrationEventsOf } from '../integrationEvents/integrationEvents.js';
import type { OrderEvent } from './orderEvents.js';

/**
 * The order's integration events (README "Integration events"). A line carries the sku, quantity
 * and unit price, not the product's name; a cancellation its previous status, not the free-text
 * reason (which may name a person). Refunds are not published (yet).
 */
export const orderIntegrationEvents = integrationEventsOf<OrderEvent>(
  {
    OrderCreated: { type: 'ordersource.order.created.v1', data: (d) => ({ orderId: d.orderId, customerId: d.customerId }) },
    ItemAdded: {
      type: 'ordersource.order.item_added.v1',
      data: (d, orderId) => ({ orderId, sku: d.sku, quantity: d.quantity, unitPriceCents: d.unitPriceCents }),
    },
    ItemRemoved: { type: 'ordersource.order.item_removed.v1', data: (d, orderId) => ({ orderId, sku: d.sku, quantity: d.quantity }) },
    OrderSubmitted: {
      type: 'ordersource.order.submitted.v1',
      data: (d, orderId) => ({
        orderId,
        status: 'SUBMITTED',
        totalCents: d.totalCents,
        lines: d.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      }),
    },
    PaymentRecorded: {
      type: 'ordersource.order.paid.v1',
      data: (d, orderId) => ({ orderId, status: 'PAID', amountCents: d.amountCents, paymentRef: d.paymentRef }),
    },
    OrderShipped: {
      type: 'ordersource.order.shipped.v1',
      data: (d, orderId) => ({ orderId, status: 'SHIPPED', carrier: d.carrier, trackingNumber: d.trackingNumber }),
    },
    OrderDelivered: { type: 'ordersource.order.delivered.v1', data: (_d, orderId) => ({ orderId, status: 'DELIVERED' }) },
    OrderCancelled: {
      type: 'ordersource.order.cancelled.v1',
      data: (d, orderId) => ({ orderId, status: 'CANCELLED', previousStatus: d.previousStatus }),
    },
    OrderExpired: {
      type: 'ordersource.order.expired.v1',
      data: (d, orderId) => ({ orderId, status: 'EXPIRED', paymentDueAt: d.paymentDueAt }),
    },
    RefundRecorded: null,
  },
  ORDER_STREAMS.idOf,
);
