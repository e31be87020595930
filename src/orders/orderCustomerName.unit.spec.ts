import { describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../customers/customerEvents.js';
import { ORDER_STREAMS, streamIds } from '../domain/streamIds.js';
import { projectionSpec, recordedStream } from '../projections/testing/givenWhenThen.js';
import type { OrderEvent } from './orderEvents.js';
import { applyOrderEvents, type OrderRows } from './orderReadModel.js';

const given = projectionSpec((): OrderRows => ({ summaries: new Map(), lines: new Map(), customers: new Map() }), applyOrderEvents);
const CUSTOMERS = streamIds('Customer');
/** `CustomerForgotten` (`{ customerId }`) is appended to the customer's stream when they are forgotten. */
type CustomerNameEvent = CustomerEvent | { type: 'CustomerForgotten'; data: { customerId: string } };
const customer = (id: string, first: number, ...events: CustomerNameEvent[]) => recordedStream(CUSTOMERS, id, first, events);
const order = (id: string, first: number, ...events: OrderEvent[]) => recordedStream(ORDER_STREAMS, id, first, events);

const registered = (customerId: string, name: string): CustomerNameEvent => ({
  type: 'CustomerRegistered',
  data: { customerId, personal: { name, email: `${customerId}@example.com` } },
});
const forgotten = (customerId: string): CustomerNameEvent => ({ type: 'CustomerForgotten', data: { customerId } });
const created = (customerId: string): OrderEvent => ({ type: 'OrderCreated', data: { orderId: 'ignored', customerId } });
const added: OrderEvent = { type: 'ItemAdded', data: { sku: 'A', name: 'A', quantity: 1, unitPriceCents: 100 } };
const nameOf = (rows: OrderRows, orderId: string) => rows.summaries.get(orderId)?.customer_name;

describe('the customer name on orders', () => {
  it('copies the name of a customer registered before the order onto the order', () => {
    given(...customer('c1', 1, registered('c1', 'Ada Lovelace')))
      .when(...order('o1', 2, created('c1'), added))
      .then((rows) => expect(nameOf(rows, 'o1')).toBe('Ada Lovelace'));
  });

  it('shows the name of a customer whose registration comes after the order in the log', () => {
    given(...order('o1', 1, created('c1'), added))
      .when(...customer('c1', 3, registered('c1', 'Grace Hopper')))
      .then((rows) => {
        expect(nameOf(rows, 'o1')).toBe('Grace Hopper');
        // The name is not an order event: the order's version and position stay its own.
        expect(rows.summaries.get('o1')).toMatchObject({ version: 2, last_position: 2n });
      });
  });

  it('gives every order of the customer the latest name, and only theirs', () => {
    given(...customer('c1', 1, registered('c1', 'Old Name')), ...order('o1', 2, created('c1')), ...order('o2', 3, created('c2')))
      .when(...customer('c1', 4, registered('c1', 'New Name')), ...order('o3', 5, created('c1')))
      .then((rows) => {
        expect([nameOf(rows, 'o1'), nameOf(rows, 'o2'), nameOf(rows, 'o3')]).toEqual(['New Name', null, 'New Name']);
      });
  });

  it('nulls the name once the customer is forgotten, on old orders and new ones', () => {
    given(...customer('c1', 1, registered('c1', 'Ada Lovelace')), ...order('o1', 2, created('c1')))
      .when(...recordedStream(CUSTOMERS, 'c1', 3, [forgotten('c1')]), ...order('o2', 4, created('c1')))
      .then((rows) => {
        expect([nameOf(rows, 'o1'), nameOf(rows, 'o2')]).toEqual([null, null]);
        expect(rows.customers.get('c1')).toEqual({ customer_id: 'c1', name: null, last_position: 3n });
      });
  });

  it('reads no name from a registration whose personal data was erased', () => {
    const erased = { type: 'CustomerRegistered', data: { customerId: 'c1', personal: null } } as unknown as CustomerNameEvent;
    given(...order('o1', 1, created('c1')))
      .when(...customer('c1', 2, erased))
      .then((rows) => expect(nameOf(rows, 'o1')).toBeNull());
  });

  it('reports the customer events that changed a name apart from the order events, and a replay as no change', () => {
    const events = [...customer('c1', 1, registered('c1', 'Ada')), ...order('o1', 2, created('c1'))];
    const rows: OrderRows = { summaries: new Map(), lines: new Map(), customers: new Map() };
    const first = applyOrderEvents(rows, events);
    expect(first.customersChanged.map((e) => e.position)).toEqual([1n]);
    expect(first.changed.map((e) => e.position)).toEqual([2n]);
    expect(applyOrderEvents(rows, events)).toEqual({ history: [], changed: [], customersChanged: [] });
  });
});
