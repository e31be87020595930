import { describe, it } from 'vitest';
import { ForbiddenError, InvalidStateError } from '../domain/errors.js';
import {
  given,
  created,
  widgetAdded,
  cancelled,
  refunded,
  paidOrder,
  shippedOrder,
  orderIn,
  ordersExcept,
  shipOrder,
  deliverOrder,
  cancelOrder,
} from './orderDeciderFixtures.js';

// --- Decide, from payment to delivery, or cancellation ------------------------------------------

describe('decideOrder', () => {
  describe('shipOrder', () => {
    it('ships a paid order with the carrier and tracking number', () => {
      given(...paidOrder)
        .when({ type: 'ShipOrder', carrier: 'UPS', trackingNumber: '1Z999' })
        .thenEmits([{ type: 'OrderShipped', data: { carrier: 'UPS', trackingNumber: '1Z999' } }]);
    });

    it.each(ordersExcept('PAID'))('rejects shipping a %s order with INVALID_STATE', (_status, history) => {
      given(...history)
        .when(shipOrder)
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

  describe('deliverOrder', () => {
    it('delivers a shipped order', () => {
      given(...shippedOrder)
        .when(deliverOrder)
        .thenEmits([{ type: 'OrderDelivered', data: {} }]);
    });

    it.each(ordersExcept('SHIPPED'))('rejects delivering a %s order with INVALID_STATE', (_status, history) => {
      given(...history)
        .when(deliverOrder)
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

  describe('cancelOrder', () => {
    it.each([
      ['the owner', 'DRAFT', false],
      ['staff', 'DRAFT', true],
      ['the owner', 'SUBMITTED', false],
      ['staff', 'SUBMITTED', true],
    ] as const)('lets %s cancel a %s order, recording the reason and the previous status', (_by, status, byStaff) => {
      given(...orderIn[status])
        .when(cancelOrder(byStaff, 'found it cheaper'))
        .thenEmits([{ type: 'OrderCancelled', data: { reason: 'found it cheaper', previousStatus: status } }]);
    });

    it('lets staff cancel a paid order and records a refund of the paid amount to the paymentRef', () => {
      given(...paidOrder)
        .when(cancelOrder(true, 'out of stock'))
        .thenEmits([
          { type: 'OrderCancelled', data: { reason: 'out of stock', previousStatus: 'PAID' } },
          { type: 'RefundRecorded', data: { amountCents: 1500, paymentRef: 'pay-1' } },
        ]);
    });

    it('refunds the amount and paymentRef of the recorded payment', () => {
      given(
        created,
        widgetAdded(1, 700),
        { type: 'OrderSubmitted', data: { totalCents: 700, lines: [{ sku: 'WID-1', quantity: 1 }] } },
        { type: 'PaymentRecorded', data: { amountCents: 700, paymentRef: 'pay-77' } },
      )
        .when(cancelOrder(true))
        .thenEmits([
          { type: 'OrderCancelled', data: { reason: 'changed my mind', previousStatus: 'PAID' } },
          { type: 'RefundRecorded', data: { amountCents: 700, paymentRef: 'pay-77' } },
        ]);
    });

    it('rejects the owner cancelling a paid order with FORBIDDEN', () => {
      given(...paidOrder)
        .when(cancelOrder(false))
        .thenRejects(ForbiddenError, 'FORBIDDEN');
    });

    it.each([
      ...ordersExcept('DRAFT', 'SUBMITTED', 'PAID').map(([status, history]) => ['staff', status, history, true] as const),
      ...ordersExcept('DRAFT', 'SUBMITTED', 'PAID').map(([status, history]) => ['the owner', status, history, false] as const),
    ])('rejects %s cancelling a %s order with INVALID_STATE', (_by, _status, history, byStaff) => {
      given(...history)
        .when(cancelOrder(byStaff))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects cancelling an order that was paid and then cancelled with INVALID_STATE', () => {
      given(...paidOrder, cancelled('PAID'), refunded)
        .when(cancelOrder(true))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });
});
