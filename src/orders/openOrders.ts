import type { Aggregate } from '../domain/aggregate.js';
import { TooManyOpenOrdersError, TooManyReservedUnitsError } from '../domain/errors.js';
import { streamIds } from '../domain/streamIds.js';
import type { OrderStatus } from './orderEvents.js';

/**
 * A customer's open orders (`OpenOrders-<customerId>`): every order of theirs that was submitted,
 * with the units it reserved, appended to with the version read when submitting. Two submissions
 * of one customer's orders therefore conflict and the second decides again counting the first: the
 * per-customer caps hold however many requests race. Paying, shipping, cancelling and expiring do
 * not write here: the next submission reads those orders' statuses and settles the ones that no
 * longer hold stock, so the stream stays as long as the customer's open orders.
 */
export type OpenOrdersEvent = {
  type: 'OrderHoldTaken';
  /** `settled`: earlier orders found holding nothing any more, dropped from the open orders. */
  data: { orderId: string; units: number; settled: string[] };
};

export interface OpenOrder {
  orderId: string;
  units: number;
}

export interface OpenOrdersState {
  orders: OpenOrder[];
}

const OPEN_ORDER_STREAMS = streamIds('OpenOrders');

export const openOrdersStreamId = (customerId: string): string => OPEN_ORDER_STREAMS.of(customerId);

export const openOrdersAggregate: Aggregate<OpenOrdersState, OpenOrdersEvent> = {
  streamType: OPEN_ORDER_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ orders: [] }),
  evolve: (state, event) => {
    const { orderId, units, settled } = event.data;
    return { orders: [...state.orders.filter((o) => !settled.includes(o.orderId) && o.orderId !== orderId), { orderId, units }] };
  },
};

/** The per-customer caps (`MAX_OPEN_ORDERS_PER_CUSTOMER`, `MAX_RESERVED_UNITS_PER_CUSTOMER`; 0: no cap). */
export interface CustomerCaps {
  maxOpenOrders: number;
  maxReservedUnits: number;
}

/** Still unpaid: counts against the open orders cap. Paid and not yet shipped: its units stay reserved. */
const UNPAID: readonly OrderStatus[] = ['SUBMITTED'];
const RESERVING: readonly OrderStatus[] = ['SUBMITTED', 'PAID'];

/** Whether a submission takes a hold at all: not by staff (not bound), nor with both caps off. */
export function takesHold(byStaff: boolean, caps: CustomerCaps): boolean {
  return !byStaff && (caps.maxOpenOrders > 0 || caps.maxReservedUnits > 0);
}

/**
 * Decides taking a hold for a submission of `units` units: refused with TOO_MANY_OPEN_ORDERS when
 * the customer already has `maxOpenOrders` unpaid submitted orders, or TOO_MANY_RESERVED_UNITS when
 * their reserved units would pass `maxReservedUnits`. Staff submitting for a customer are neither
 * bound nor counted (a back office placing many orders for one customer would otherwise contend on
 * one stream and read every open order per submission), and with both caps off nothing is counted:
 * no hold. `statusOf` gives each open order's current status (read when deciding).
 */
export function decideHold(
  command: { orderId: string; units: number; byStaff: boolean; caps: CustomerCaps },
  state: OpenOrdersState,
  statusOf: (orderId: string) => OrderStatus | undefined,
): OpenOrdersEvent[] {
  if (!takesHold(command.byStaff, command.caps)) return [];
  const held = state.orders.filter((o) => o.orderId !== command.orderId);
  const holding = held.filter((o) => RESERVING.includes(statusOf(o.orderId) ?? 'CANCELLED'));
  const settled = held.filter((o) => !holding.includes(o)).map((o) => o.orderId);
  const { maxOpenOrders, maxReservedUnits } = command.caps;
  const unpaid = holding.filter((o) => UNPAID.includes(statusOf(o.orderId)!)).length;
  if (maxOpenOrders > 0 && unpaid >= maxOpenOrders) throw new TooManyOpenOrdersError(maxOpenOrders);
  const reserved = holding.reduce((sum, o) => sum + o.units, 0);
  if (maxReservedUnits > 0 && reserved + command.units > maxReservedUnits) throw new TooManyReservedUnitsError(maxReservedUnits, reserved);
  return [{ type: 'OrderHoldTaken', data: { orderId: command.orderId, units: command.units, settled } }];
}
