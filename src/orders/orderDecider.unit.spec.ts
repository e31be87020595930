import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, InvalidStateError, NotFoundError, ValidationError } from '../domain/errors.js';
import { foldEvents } from '../domain/testing/givenWhenThen.js';
import { orderAggregate } from './orderDecider.js';
import { MAX_LINE_QUANTITY } from './orderEvents.js';
import {
  given,
  orderId,
  customerId,
  created,
  itemAdded,
  widgetAdded,
  itemRemoved,
  TOTAL,
  draftOrder,
  cancelledOrder,
  ordersExcept,
  createOrder,
  addItem,
  addWidget,
  removeItem,
  submitOrder,
  recordPayment,
  shipOrder,
  deliverOrder,
  cancelOrder,
  expireOrder,
} from './orderDeciderFixtures.js';

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
});
