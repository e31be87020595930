import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  OrderEmptyError,
  PaymentMismatchError,
  PaymentRefTakenError,
  ValidationError,
} from '../domain/errors.js';
import { deciderSpec, foldEvents, occurredAt } from '../domain/testing/givenWhenThen.js';
import { decideOrder, evolveOrder, orderAggregate, orderStreamId } from './orderDecider.js';
import { orderTotalCents } from './orderLines.js';
import { MAX_LINE_QUANTITY, ORDER_STATUSES, type OrderCommand, type OrderEvent, type OrderStatus } from './orderEvents.js';

const given = deciderSpec(orderAggregate, decideOrder);

// --- Past events -------------------------------------------------------------------------------

const orderId = 'order-1';
const customerId = 'customer-1';

const created: OrderEvent = { type: 'OrderCreated', data: { orderId, customerId } };
const itemAdded = (sku: string, name: string, quantity: number, unitPriceCents: number): OrderEvent => ({
  type: 'ItemAdded',
  data: { sku, name, quantity, unitPriceCents },
});
const widgetAdded = (quantity = 2, unitPriceCents = 250) => itemAdded('WID-1', 'Widget', quantity, unitPriceCents);
const gadgetAdded = (quantity = 1, unitPriceCents = 1000) => itemAdded('GAD-1', 'Gadget', quantity, unitPriceCents);
const itemRemoved = (sku: string, quantity: number): OrderEvent => ({ type: 'ItemRemoved', data: { sku, quantity } });

/** 2 x 250 + 1 x 1000. */
const TOTAL = 1500;
const submitted: OrderEvent = {
  type: 'OrderSubmitted',
  data: {
    totalCents: TOTAL,
    lines: [
      { sku: 'WID-1', quantity: 2 },
      { sku: 'GAD-1', quantity: 1 },
    ],
  },
};
const paid: OrderEvent = { type: 'PaymentRecorded', data: { amountCents: TOTAL, paymentRef: 'pay-1' } };
const shipped: OrderEvent = { type: 'OrderShipped', data: { carrier: 'DHL', trackingNumber: 'TRK-1' } };
const delivered: OrderEvent = { type: 'OrderDelivered', data: {} };
const cancelled = (previousStatus: OrderStatus, reason = 'changed my mind'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { reason, previousStatus },
});
const refunded: OrderEvent = { type: 'RefundRecorded', data: { amountCents: TOTAL, paymentRef: 'pay-1' } };
const PAYMENT_DUE_AT = '2024-05-01T10:34:00.000Z';
const expired: OrderEvent = { type: 'OrderExpired', data: { paymentDueAt: PAYMENT_DUE_AT } };

/** One history per status, each with the same two lines (WID-1 x2 @250, GAD-1 x1 @1000). */
const draftOrder = [created, widgetAdded(), gadgetAdded()];
const submittedOrder = [...draftOrder, submitted];
const paidOrder = [...submittedOrder, paid];
const shippedOrder = [...paidOrder, shipped];
const deliveredOrder = [...shippedOrder, delivered];
const cancelledOrder = [...draftOrder, cancelled('DRAFT')];
const expiredOrder = [...submittedOrder, expired];

const orderIn: Record<OrderStatus, OrderEvent[]> = {
  DRAFT: draftOrder,
  SUBMITTED: submittedOrder,
  PAID: paidOrder,
  SHIPPED: shippedOrder,
  DELIVERED: deliveredOrder,
  CANCELLED: cancelledOrder,
  EXPIRED: expiredOrder,
};
/** `[status, history]` for every status but the allowed ones (for `it.each`, named with `%s`). */
const ordersExcept = (...allowed: OrderStatus[]): [OrderStatus, OrderEvent[]][] =>
  ORDER_STATUSES.filter((status) => !allowed.includes(status)).map((status) => [status, orderIn[status]]);

// --- Commands ----------------------------------------------------------------------------------

const createOrder: OrderCommand = { type: 'CreateOrder', orderId, customerId };
const addItem = (sku: string, quantity: number, product: { name: string; priceCents: number }): OrderCommand => ({
  type: 'AddItem',
  sku,
  quantity,
  product,
});
const addWidget = (quantity = 1, priceCents = 250) => addItem('WID-1', quantity, { name: 'Widget', priceCents });
const removeItem = (sku: string, quantity?: number): OrderCommand =>
  quantity === undefined ? { type: 'RemoveItem', sku } : { type: 'RemoveItem', sku, quantity };
const submitOrder: OrderCommand = { type: 'SubmitOrder' };
const recordPayment = (amountCents: number, paymentRef = 'pay-1', paymentRefClaimedBy: string | null = null): OrderCommand => ({
  type: 'RecordPayment',
  amountCents,
  paymentRef,
  paymentRefClaimedBy,
});
const shipOrder: OrderCommand = { type: 'ShipOrder', carrier: 'DHL', trackingNumber: 'TRK-1' };
const deliverOrder: OrderCommand = { type: 'DeliverOrder' };
const cancelOrder = (byStaff: boolean, reason = 'changed my mind'): OrderCommand => ({ type: 'CancelOrder', reason, byStaff });
const expireOrder: OrderCommand = { type: 'ExpireOrder', paymentDueAt: PAYMENT_DUE_AT, now: '2024-05-01T10:34:00.500Z' };

// --- Decide ------------------------------------------------------------------------------------

describe('decideOrder', () => {
  describe('createOrder', () => {
    it('creates a new order for the customer with OrderCreated', () => {
      given()
        .when(createOrder)
        .thenEmits([{ type: 'OrderCreated', data: { orderId, customerId } }]);
    });

    it('rejects creating an order whose id already exists with ALREADY_EXISTS', () => {
      given(created).when(createOrder).thenRejects(AlreadyExistsError, 'ALREADY_EXISTS');
    });

    it('rejects reusing the id of a cancelled order with ALREADY_EXISTS', () => {
      given(...cancelledOrder)
        .when({ ...createOrder, customerId: 'customer-2' })
        .thenRejects(AlreadyExistsError, 'ALREADY_EXISTS');
    });
  });

  describe('commands on an order that does not exist', () => {
    it.each([
      ['addItem', addWidget()],
      ['removeItem', removeItem('WID-1')],
      ['submitOrder', submitOrder],
      ['recordPayment', recordPayment(TOTAL)],
      ['shipOrder', shipOrder],
      ['deliverOrder', deliverOrder],
      ['cancelOrder by staff', cancelOrder(true)],
      ['cancelOrder by the owner', cancelOrder(false)],
      ['expireOrder', expireOrder],
    ])('rejects %s on an unknown order with NOT_FOUND', (_name, command) => {
      given().when(command).thenRejects(NotFoundError, 'NOT_FOUND');
    });
  });

  describe('addItem', () => {
    it('adds an item to a draft order at the unit price of the product given with the command', () => {
      given(created)
        .when(addItem('WID-1', 3, { name: 'Widget', priceCents: 275 }))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 3, unitPriceCents: 275 } }]);
    });

    it('captures the catalog price at the moment of adding, whatever other lines were priced at', () => {
      given(created, widgetAdded(2, 250))
        .when(addItem('GAD-1', 1, { name: 'Gadget', priceCents: 1234 }))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'GAD-1', name: 'Gadget', quantity: 1, unitPriceCents: 1234 } }]);
    });

    it('joins a repeated sku to its line at the first captured price even when the catalog price changed', () => {
      given(created, widgetAdded(2, 250))
        .when(addWidget(3, 300))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 3, unitPriceCents: 250 } }]);
    });

    it('keeps one line with the summed quantity and the first price after a repeated sku is folded', () => {
      const state = foldEvents(orderAggregate, [created, widgetAdded(2, 250), widgetAdded(3, 250)]);
      expect(state.lines).toStrictEqual([{ sku: 'WID-1', name: 'Widget', quantity: 5, unitPriceCents: 250 }]);
    });

    it('accepts a single item of exactly 1000 units', () => {
      expect(MAX_LINE_QUANTITY).toBe(1000);
      given(created)
        .when(addWidget(1000))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 1000, unitPriceCents: 250 } }]);
    });

    it('accepts topping a line up to exactly 1000 units', () => {
      given(created, widgetAdded(400))
        .when(addWidget(600))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 600, unitPriceCents: 250 } }]);
    });

    it('rejects a single item of more than 1000 units with VALIDATION_FAILED on input.quantity', () => {
      const error = given(created).when(addWidget(1001)).thenRejects(ValidationError, 'VALIDATION_FAILED');
      expect(error.fieldErrors).toStrictEqual([{ path: 'input.quantity', message: expect.stringContaining('1000') }]);
    });

    it('rejects an item that would take its line over 1000 units with VALIDATION_FAILED on input.quantity', () => {
      const error = given(created, widgetAdded(400)).when(addWidget(601)).thenRejects(ValidationError, 'VALIDATION_FAILED');
      expect(error.fieldErrors).toStrictEqual([{ path: 'input.quantity', message: expect.stringContaining('1000') }]);
    });

    it('rejects an item that would take the order total past the largest GraphQL Int with VALIDATION_FAILED', () => {
      const error = given(created, itemAdded('GAD-1', 'Gadget', 1, 1_500_000_000))
        .when(addItem('WID-1', 1, { name: 'Widget', priceCents: 1_000_000_000 }))
        .thenRejects(ValidationError, 'VALIDATION_FAILED');
      expect(error.fieldErrors).toStrictEqual([{ path: 'input.quantity', message: expect.stringContaining('2147483647') }]);
    });

    it('counts only the same sku towards the 1000-unit line limit', () => {
      given(created, itemAdded('GAD-1', 'Gadget', 999, 1000))
        .when(addWidget(999))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 999, unitPriceCents: 250 } }]);
    });

    it('counts a line as it is after removals towards the 1000-unit limit', () => {
      given(created, widgetAdded(1000), itemRemoved('WID-1', 10))
        .when(addWidget(10))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 10, unitPriceCents: 250 } }]);
    });

    it('starts a new line at the current price when the sku was removed completely before', () => {
      given(created, widgetAdded(2, 250), itemRemoved('WID-1', 2))
        .when(addWidget(1, 300))
        .thenEmits([{ type: 'ItemAdded', data: { sku: 'WID-1', name: 'Widget', quantity: 1, unitPriceCents: 300 } }]);
    });

    it.each(ordersExcept('DRAFT'))('rejects adding an item to a %s order with INVALID_STATE', (_status, history) => {
      given(...history)
        .when(addWidget())
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

  describe('removeItem', () => {
    it('removes the whole line when no quantity is given', () => {
      given(...draftOrder)
        .when(removeItem('WID-1'))
        .thenEmits([{ type: 'ItemRemoved', data: { sku: 'WID-1', quantity: 2 } }]);
    });

    it('removes part of a line when a smaller quantity is given', () => {
      given(created, widgetAdded(5))
        .when(removeItem('WID-1', 2))
        .thenEmits([{ type: 'ItemRemoved', data: { sku: 'WID-1', quantity: 2 } }]);
    });

    it('removes the whole line when the quantity equals the line', () => {
      given(created, widgetAdded(5))
        .when(removeItem('WID-1', 5))
        .thenEmits([{ type: 'ItemRemoved', data: { sku: 'WID-1', quantity: 5 } }]);
    });

    it('removes only what the line holds when the quantity is above the line', () => {
      given(created, widgetAdded(2))
        .when(removeItem('WID-1', 7))
        .thenEmits([{ type: 'ItemRemoved', data: { sku: 'WID-1', quantity: 2 } }]);
    });

    it('removes the whole line of a sku added several times', () => {
      given(created, widgetAdded(2), widgetAdded(3))
        .when(removeItem('WID-1'))
        .thenEmits([{ type: 'ItemRemoved', data: { sku: 'WID-1', quantity: 5 } }]);
    });

    it('rejects removing a sku the order has no line for with NOT_FOUND', () => {
      given(...draftOrder)
        .when(removeItem('NOPE-1'))
        .thenRejects(NotFoundError, 'NOT_FOUND');
    });

    it('rejects removing a line that was already removed with NOT_FOUND', () => {
      given(...draftOrder, itemRemoved('WID-1', 2))
        .when(removeItem('WID-1', 1))
        .thenRejects(NotFoundError, 'NOT_FOUND');
    });

    it('rejects removing from an order with no lines with NOT_FOUND', () => {
      given(created).when(removeItem('WID-1')).thenRejects(NotFoundError, 'NOT_FOUND');
    });

    it.each(ordersExcept('DRAFT'))('rejects removing an item from a %s order with INVALID_STATE', (_status, history) => {
      given(...history)
        .when(removeItem('WID-1'))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

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

// --- Evolve ------------------------------------------------------------------------------------

describe('evolveOrder', () => {
  it('starts from a draft order that does not exist yet', () => {
    expect(orderAggregate.initialState()).toStrictEqual({
      exists: false,
      id: '',
      customerId: '',
      status: 'DRAFT',
      lines: [],
      paymentRef: null,
      paidCents: 0,
      draftChanges: 0,
      createdAt: '',
      updatedAt: '',
    });
    expect(orderAggregate.streamType).toBe('Order');
    expect(orderStreamId('order-1')).toBe('Order-order-1');
  });

  it('creates the order in DRAFT with its id, customer and creation time', () => {
    expect(foldEvents(orderAggregate, [created])).toStrictEqual({
      exists: true,
      id: orderId,
      customerId,
      status: 'DRAFT',
      lines: [],
      paymentRef: null,
      paidCents: 0,
      draftChanges: 0,
      createdAt: occurredAt(0),
      updatedAt: occurredAt(0),
    });
  });

  it('moves through DRAFT, SUBMITTED, PAID, SHIPPED and DELIVERED', () => {
    const statuses: OrderStatus[] = [];
    let state = orderAggregate.initialState();
    for (const [index, event] of deliveredOrder.entries()) {
      state = evolveOrder(state, event, { occurredAt: occurredAt(index) });
      statuses.push(state.status);
    }
    expect(statuses).toStrictEqual(['DRAFT', 'DRAFT', 'DRAFT', 'SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED']);
  });

  it.each([
    ['DRAFT', cancelledOrder],
    ['SUBMITTED', [...submittedOrder, cancelled('SUBMITTED')]],
    ['PAID', [...paidOrder, cancelled('PAID'), refunded]],
  ] as const)('is CANCELLED after cancelling a %s order', (_status, history) => {
    expect(foldEvents(orderAggregate, history).status).toBe('CANCELLED');
  });

  it('records the paymentRef and paid amount of a payment, and keeps them through a refund', () => {
    const afterPayment = foldEvents(orderAggregate, paidOrder);
    expect(afterPayment).toMatchObject({ status: 'PAID', paymentRef: 'pay-1', paidCents: 1500 });
    const afterRefund = foldEvents(orderAggregate, [...paidOrder, cancelled('PAID'), refunded]);
    expect(afterRefund).toMatchObject({ status: 'CANCELLED', paymentRef: 'pay-1', paidCents: 1500 });
  });

  it('keeps the lines in the order they were first added, each with its captured name and price', () => {
    const state = foldEvents(orderAggregate, [created, gadgetAdded(1, 1000), widgetAdded(2, 250), gadgetAdded(2, 1000)]);
    expect(state.lines).toStrictEqual([
      { sku: 'GAD-1', name: 'Gadget', quantity: 3, unitPriceCents: 1000 },
      { sku: 'WID-1', name: 'Widget', quantity: 2, unitPriceCents: 250 },
    ]);
  });

  it('keeps the first captured price and name of a line when a later ItemAdded for its sku carries others', () => {
    const state = foldEvents(orderAggregate, [created, widgetAdded(2, 250), itemAdded('WID-1', 'Widget v2', 3, 300)]);
    expect(state.lines).toStrictEqual([{ sku: 'WID-1', name: 'Widget', quantity: 5, unitPriceCents: 250 }]);
  });

  it('reduces a line on a partial removal and drops it when nothing is left', () => {
    const partial = foldEvents(orderAggregate, [...draftOrder, itemRemoved('WID-1', 1)]);
    expect(partial.lines).toStrictEqual([
      { sku: 'WID-1', name: 'Widget', quantity: 1, unitPriceCents: 250 },
      { sku: 'GAD-1', name: 'Gadget', quantity: 1, unitPriceCents: 1000 },
    ]);
    const whole = foldEvents(orderAggregate, [...draftOrder, itemRemoved('WID-1', 2)]);
    expect(whole.lines).toStrictEqual([{ sku: 'GAD-1', name: 'Gadget', quantity: 1, unitPriceCents: 1000 }]);
  });

  it('folds what the decider emits for an over-sized removal into an order without that line', () => {
    const history = [created, widgetAdded(2), gadgetAdded(1)];
    const events = decideOrder(removeItem('WID-1', 99), foldEvents(orderAggregate, history));
    expect(foldEvents(orderAggregate, [...history, ...events]).lines.map((l) => l.sku)).toStrictEqual(['GAD-1']);
  });

  it('totals the lines as quantity times captured unit price', () => {
    expect(orderTotalCents([])).toBe(0);
    expect(orderTotalCents(foldEvents(orderAggregate, draftOrder).lines)).toBe(2 * 250 + 1 * 1000);
    const changed = foldEvents(orderAggregate, [...draftOrder, widgetAdded(3, 250), itemRemoved('GAD-1', 1)]);
    expect(orderTotalCents(changed.lines)).toBe(5 * 250);
  });

  it('keeps createdAt at the creation and moves updatedAt to the latest event', () => {
    const state = foldEvents(orderAggregate, deliveredOrder);
    expect(state.createdAt).toBe(occurredAt(0));
    expect(state.updatedAt).toBe(occurredAt(deliveredOrder.length - 1));
    expect(state.updatedAt).not.toBe(state.createdAt);
  });

  it.each(
    [widgetAdded(), itemRemoved('WID-1', 1), submitted, paid, shipped, delivered, cancelled('PAID'), refunded].map(
      (event) => [event.type, event] as const,
    ),
  )('moves updatedAt to the time of %s', (_type, event) => {
    const before = foldEvents(orderAggregate, [created]);
    const after = evolveOrder(before, event, { occurredAt: '2030-01-01T00:00:00.000Z' });
    expect(after.updatedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(after.createdAt).toBe(before.createdAt);
  });

  it('does not change the state it folds into', () => {
    const before = foldEvents(orderAggregate, draftOrder);
    const copy = structuredClone(before);
    evolveOrder(before, widgetAdded(1), { occurredAt: occurredAt(9) });
    evolveOrder(before, itemRemoved('GAD-1', 1), { occurredAt: occurredAt(9) });
    evolveOrder(before, submitted, { occurredAt: occurredAt(9) });
    expect(before).toStrictEqual(copy);
  });
});
