import { describe, expect, it } from 'vitest';
import { foldEvents, occurredAt } from '../domain/testing/givenWhenThen.js';
import { decideOrder, evolveOrder, orderAggregate, orderStreamId } from './orderDecider.js';
import { orderTotalCents } from './orderLines.js';
import { type OrderStatus } from './orderEvents.js';
import {
  orderId,
  customerId,
  created,
  itemAdded,
  widgetAdded,
  gadgetAdded,
  itemRemoved,
  submitted,
  paid,
  shipped,
  delivered,
  cancelled,
  refunded,
  draftOrder,
  submittedOrder,
  paidOrder,
  deliveredOrder,
  cancelledOrder,
  removeItem,
} from './orderDeciderFixtures.js';

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
