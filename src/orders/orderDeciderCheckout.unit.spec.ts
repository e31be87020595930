import { describe, expect, it } from 'vitest';
import { InvalidStateError, OrderEmptyError, PaymentMismatchError, PaymentRefTakenError } from '../domain/errors.js';
import { foldEvents } from '../domain/testing/givenWhenThen.js';
import { orderAggregate } from './orderDecider.js';
import { orderTotalCents } from './orderLines.js';
import {
  given,
  orderId,
  created,
  widgetAdded,
  gadgetAdded,
  itemRemoved,
  TOTAL,
  cancelled,
  refunded,
  PAYMENT_DUE_AT,
  draftOrder,
  submittedOrder,
  paidOrder,
  shippedOrder,
  deliveredOrder,
  expiredOrder,
  ordersExcept,
  submitOrder,
  recordPayment,
  cancelOrder,
  expireOrder,
} from './orderDeciderFixtures.js';

// --- Decide, from submission to payment or expiry ----------------------------------------------

describe('decideOrder', () => {
  describe('submitOrder', () => {
    it('submits a draft order with items, with its total and lines', () => {
      given(...draftOrder)
        .when(submitOrder)
        .thenEmits([
          {
            type: 'OrderSubmitted',
            data: {
              totalCents: 1500,
              lines: [
                { sku: 'WID-1', quantity: 2 },
                { sku: 'GAD-1', quantity: 1 },
              ],
            },
          },
        ]);
    });

    it('submits the lines as they are after repeated skus and removals', () => {
      given(created, widgetAdded(2, 250), gadgetAdded(4, 1000), widgetAdded(3, 250), itemRemoved('GAD-1', 1), itemRemoved('WID-1', 1))
        .when(submitOrder)
        .thenEmits([
          {
            type: 'OrderSubmitted',
            data: {
              totalCents: 4 * 250 + 3 * 1000,
              lines: [
                { sku: 'WID-1', quantity: 4 },
                { sku: 'GAD-1', quantity: 3 },
              ],
            },
          },
        ]);
    });

    it('rejects submitting an order without items with ORDER_EMPTY', () => {
      given(created).when(submitOrder).thenRejects(OrderEmptyError, 'ORDER_EMPTY');
    });

    it('rejects submitting an order whose items were all removed with ORDER_EMPTY', () => {
      given(...draftOrder, itemRemoved('WID-1', 2), itemRemoved('GAD-1', 1))
        .when(submitOrder)
        .thenRejects(OrderEmptyError, 'ORDER_EMPTY');
    });

    it.each(ordersExcept('DRAFT'))('rejects submitting a %s order with INVALID_STATE', (_status, history) => {
      given(...history)
        .when(submitOrder)
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

  describe('recordPayment', () => {
    it('records a payment of exactly the total on a submitted order', () => {
      given(...submittedOrder)
        .when(recordPayment(1500, 'pay-1'))
        .thenEmits([{ type: 'PaymentRecorded', data: { amountCents: 1500, paymentRef: 'pay-1' } }]);
    });

    it('rejects an underpayment with PAYMENT_MISMATCH, giving the expected and the paid amount', () => {
      const error = given(...submittedOrder)
        .when(recordPayment(1499))
        .thenRejects(PaymentMismatchError, 'PAYMENT_MISMATCH');
      expect(error.expectedAmountCents).toBe(1500);
      expect(error.amountCents).toBe(1499);
    });

    it('rejects an overpayment with PAYMENT_MISMATCH, giving the expected and the paid amount', () => {
      const error = given(...submittedOrder)
        .when(recordPayment(1501))
        .thenRejects(PaymentMismatchError, 'PAYMENT_MISMATCH');
      expect(error.expectedAmountCents).toBe(1500);
      expect(error.amountCents).toBe(1501);
    });

    it('treats the same paymentRef on a paid order as a no-op (no events)', () => {
      given(...paidOrder)
        .when(recordPayment(TOTAL, 'pay-1'))
        .thenEmits([]);
    });

    it('rejects the same paymentRef with a different amount with PAYMENT_MISMATCH: it is not the same payment', () => {
      const error = given(...paidOrder)
        .when(recordPayment(1, 'pay-1'))
        .thenRejects(PaymentMismatchError, 'PAYMENT_MISMATCH');
      expect(error.expectedAmountCents).toBe(TOTAL);
      expect(error.amountCents).toBe(1);
    });

    it('treats the same paymentRef on a paid order as a no-op also when the reference stream names this order', () => {
      given(...paidOrder)
        .when(recordPayment(TOTAL, 'pay-1', orderId))
        .thenEmits([]);
    });

    it('rejects a paymentRef that already paid another order with PAYMENT_REF_TAKEN', () => {
      const error = given(...submittedOrder)
        .when(recordPayment(TOTAL, 'pay-1', 'another-order'))
        .thenRejects(PaymentRefTakenError, 'PAYMENT_REF_TAKEN');
      expect(error.paymentRef).toBe('pay-1');
    });

    it('treats the same paymentRef on a shipped order as a no-op (no events)', () => {
      given(...shippedOrder)
        .when(recordPayment(TOTAL, 'pay-1'))
        .thenEmits([]);
    });

    it('treats the same paymentRef on a delivered order as a no-op (no events)', () => {
      given(...deliveredOrder)
        .when(recordPayment(TOTAL, 'pay-1'))
        .thenEmits([]);
    });

    it('treats the same paymentRef on a paid order cancelled by staff as a no-op (no events)', () => {
      given(...paidOrder, cancelled('PAID'), refunded)
        .when(recordPayment(TOTAL, 'pay-1'))
        .thenEmits([]);
    });

    it('rejects a different paymentRef on a paid order with INVALID_STATE', () => {
      given(...paidOrder)
        .when(recordPayment(TOTAL, 'pay-2'))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects a different paymentRef on a shipped order with INVALID_STATE', () => {
      given(...shippedOrder)
        .when(recordPayment(TOTAL, 'pay-2'))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it.each(ordersExcept('SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED'))(
      'rejects a payment for a %s order with INVALID_STATE',
      (_status, history) => {
        given(...history)
          .when(recordPayment(TOTAL, 'pay-1'))
          .thenRejects(InvalidStateError, 'INVALID_STATE');
      },
    );

    it('rejects a payment for a draft order with INVALID_STATE before checking the amount', () => {
      given(...draftOrder)
        .when(recordPayment(1, 'pay-1'))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });
});

describe('decideOrder: payment deadlines', () => {
  it('expires a submitted order whose payment deadline passed with OrderExpired, recording the deadline', () => {
    given(...submittedOrder)
      .when(expireOrder)
      .thenEmits([{ type: 'OrderExpired', data: { paymentDueAt: PAYMENT_DUE_AT } }]);
  });

  it('rejects expiring a submitted order before its payment deadline with INVALID_STATE', () => {
    given(...submittedOrder)
      .when({ ...expireOrder, now: '2024-05-01T10:33:59.999Z' })
      .thenRejects(InvalidStateError, 'INVALID_STATE');
  });

  it.each(ordersExcept('SUBMITTED'))('rejects expiring a %s order with INVALID_STATE', (_status, history) => {
    given(...history)
      .when(expireOrder)
      .thenRejects(InvalidStateError, 'INVALID_STATE');
  });

  it('rejects a payment that arrives after the expiry with INVALID_STATE, naming the EXPIRED status', () => {
    const error = given(...expiredOrder)
      .when(recordPayment(TOTAL))
      .thenRejects(InvalidStateError, 'INVALID_STATE');
    expect(error.message).toContain('EXPIRED');
  });

  it('rejects an expiry that arrives after the payment with INVALID_STATE, so a payment and an expiry never both win', () => {
    given(...paidOrder)
      .when(expireOrder)
      .thenRejects(InvalidStateError, 'INVALID_STATE');
  });

  it.each([
    ['the owner', false],
    ['staff', true],
  ] as const)('rejects %s cancelling an expired order with INVALID_STATE', (_by, byStaff) => {
    given(...expiredOrder)
      .when(cancelOrder(byStaff))
      .thenRejects(InvalidStateError, 'INVALID_STATE');
  });

  it('folds OrderExpired into the EXPIRED status, keeping the lines', () => {
    const state = foldEvents(orderAggregate, expiredOrder);
    expect(state.status).toBe('EXPIRED');
    expect(orderTotalCents(state.lines)).toBe(TOTAL);
  });
});
