import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../customers/customerEvents.js';
import { ORDER_STREAMS, streamIds } from '../domain/streamIds.js';
import type { OrderEvent } from '../orders/orderEvents.js';
import { projectionSpec, recordedStream } from '../projections/testing/givenWhenThen.js';
import { applySearchEvents, type SearchRows } from './searchReadModel.js';

const given = projectionSpec((): SearchRows => ({ entries: new Map(), customers: new Map() }), applySearchEvents);
const CUSTOMERS = streamIds('Customer');
/** `CustomerForgotten` (`{ customerId }`) is appended to the customer's stream when they are forgotten. */
type CustomerWordEvent = CustomerEvent | { type: 'CustomerForgotten'; data: { customerId: string } };
const customer = (id: string, first: number, ...events: CustomerWordEvent[]) => recordedStream(CUSTOMERS, id, first, events);
const order = (id: string, first: number, ...events: OrderEvent[]) => recordedStream(ORDER_STREAMS, id, first, events);

const registered = (customerId: string, name: string, email: string): CustomerWordEvent => ({
  type: 'CustomerRegistered',
  data: { customerId, personal: { name, email } },
});
const created = (customerId: string): OrderEvent => ({ type: 'OrderCreated', data: { orderId: 'ignored', customerId } });
const added = (sku: string, name: string, quantity = 1): OrderEvent => ({
  type: 'ItemAdded',
  data: { sku, name, quantity, unitPriceCents: 100 },
});
const removed = (sku: string, quantity: number): OrderEvent => ({ type: 'ItemRemoved', data: { sku, quantity } });
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { totalCents: 100, lines: [{ sku: 'A', quantity: 1 }] } };

describe('the search read model', () => {
  it("indexes an order with its customer's name and email and the skus and names of its lines", () => {
    given(...customer('c1', 1, registered('c1', 'Ada Lovelace', 'ada@example.com')))
      .when(...order('o1', 2, created('c1'), added('BOOK-1', 'Notes'), added('PEN-2', 'Fountain pen', 2), added('BOOK-1', 'Notes')))
      .then((rows) =>
        expect(rows.entries.get('o1')).toEqual({
          order_id: 'o1',
          customer_id: 'c1',
          customer_name: 'Ada Lovelace',
          customer_email: 'ada@example.com',
          lines: [
            { sku: 'BOOK-1', name: 'Notes', quantity: 2 },
            { sku: 'PEN-2', name: 'Fountain pen', quantity: 2 },
          ],
          last_position: 5n,
        }),
      );
  });

  it("drops a line's words once all its units are removed, and ignores status changes", () => {
    given(...order('o1', 1, created('c1'), added('A', 'Apple', 2), added('B', 'Banana')))
      .when(...recordedStream(ORDER_STREAMS, 'o1', 4, [removed('A', 1), removed('B', 1), submitted]))
      .then((rows) =>
        expect(rows.entries.get('o1')).toMatchObject({ lines: [{ sku: 'A', name: 'Apple', quantity: 1 }], last_position: 5n }),
      );
  });

  it("gives the customer's words to an order created before the registration was seen, and to every order of a renamed customer", () => {
    given(...order('o1', 1, created('c1')), ...order('o2', 2, created('c2')))
      .when(...customer('c1', 3, registered('c1', 'Grace Hopper', 'grace@example.com')), ...order('o3', 4, created('c1')))
      .then((rows) => {
        expect(rows.entries.get('o1')).toMatchObject({
          customer_name: 'Grace Hopper',
          customer_email: 'grace@example.com',
          last_position: 1n,
        });
        expect(rows.entries.get('o3')).toMatchObject({ customer_name: 'Grace Hopper' });
        expect(rows.entries.get('o2')).toMatchObject({ customer_name: null, customer_email: null });
      });
  });

  it('erases the name and email of a forgotten customer from every order of theirs', () => {
    given(...customer('c1', 1, registered('c1', 'Ada Lovelace', 'ada@example.com')), ...order('o1', 2, created('c1'), added('A', 'Apple')))
      .when(...recordedStream(CUSTOMERS, 'c1', 4, [{ type: 'CustomerForgotten', data: { customerId: 'c1' } } satisfies CustomerWordEvent]))
      .then((rows) => {
        expect(rows.entries.get('o1')).toMatchObject({ customer_name: null, customer_email: null, lines: [{ sku: 'A' }] });
        expect(rows.customers.get('c1')).toEqual({ customer_id: 'c1', name: null, email: null, last_position: 4n });
      });
  });

  it('keeps no words from a registration read after the customer was forgotten (personal data erased)', () => {
    const erased = { type: 'CustomerRegistered', data: { customerId: 'c1', personal: null } } as unknown as CustomerWordEvent;
    given(...customer('c1', 1, erased))
      .when(...order('o1', 2, created('c1')))
      .then((rows) => expect(rows.entries.get('o1')).toMatchObject({ customer_name: null, customer_email: null }));
  });

  it('ignores the events of an order whose creation it never saw', () => {
    given()
      .when(...recordedStream(ORDER_STREAMS, 'ghost', 5, [added('A', 'Apple')]))
      .then((rows) => expect(rows.entries.size).toBe(0));
  });
});
