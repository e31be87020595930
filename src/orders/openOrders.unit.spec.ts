import { describe, expect, it } from 'vitest';
import { TooManyOpenOrdersError, TooManyReservedUnitsError } from '../domain/errors.js';
import { decideHold, openOrdersAggregate, type OpenOrdersState } from './openOrders.js';
import type { OrderStatus } from './orderEvents.js';

const caps = { maxOpenOrders: 2, maxReservedUnits: 10 };
const given = (orders: [string, number][]): OpenOrdersState => ({ orders: orders.map(([orderId, units]) => ({ orderId, units })) });
const statuses =
  (of: Record<string, OrderStatus>) =>
  (orderId: string): OrderStatus | undefined =>
    of[orderId];

describe('decideHold', () => {
  it('takes a hold within the caps, settling open orders that hold nothing any more', () => {
    const state = given([
      ['a', 3],
      ['b', 3],
    ]);
    const events = decideHold({ orderId: 'c', units: 4, byStaff: false, caps }, state, statuses({ a: 'SUBMITTED', b: 'SHIPPED' }));
    expect(events).toEqual([{ type: 'OrderHoldTaken', data: { orderId: 'c', units: 4, settled: ['b'] } }]);
    expect(openOrdersAggregate.evolve(state, events[0]!, { occurredAt: '' })).toEqual(
      given([
        ['a', 3],
        ['c', 4],
      ]),
    );
  });

  it('refuses a third unpaid order with TOO_MANY_OPEN_ORDERS; a paid one does not count', () => {
    const state = given([
      ['a', 1],
      ['b', 1],
    ]);
    const submit = (status: OrderStatus) =>
      decideHold({ orderId: 'c', units: 1, byStaff: false, caps }, state, statuses({ a: 'SUBMITTED', b: status }));
    expect(() => submit('SUBMITTED')).toThrow(TooManyOpenOrdersError);
    expect(submit('PAID')).toHaveLength(1);
  });

  it('refuses passing the reserved units with TOO_MANY_RESERVED_UNITS, counting paid orders not yet shipped', () => {
    const state = given([['a', 8]]);
    expect(() => decideHold({ orderId: 'c', units: 3, byStaff: false, caps }, state, statuses({ a: 'PAID' }))).toThrow(
      TooManyReservedUnitsError,
    );
    expect(decideHold({ orderId: 'c', units: 2, byStaff: false, caps }, state, statuses({ a: 'PAID' }))).toHaveLength(1);
  });

  it('neither binds nor counts staff, and takes no hold with both caps off; 0 turns one cap off', () => {
    const state = given([
      ['a', 9],
      ['b', 9],
    ]);
    const open = statuses({ a: 'SUBMITTED', b: 'SUBMITTED' });
    expect(decideHold({ orderId: 'c', units: 9, byStaff: true, caps }, state, open)).toEqual([]);
    expect(decideHold({ orderId: 'c', units: 9, byStaff: false, caps: { maxOpenOrders: 0, maxReservedUnits: 0 } }, state, open)).toEqual(
      [],
    );
    expect(
      decideHold({ orderId: 'c', units: 9, byStaff: false, caps: { maxOpenOrders: 3, maxReservedUnits: 0 } }, state, open),
    ).toHaveLength(1);
  });
});
