import { isStaff } from '../auth/actor.js';
import { loadAggregate, planAppend, type PlannedAppend } from '../commands/loadAggregate.js';
import type { CommandEnv } from '../commands/pipeline.js';
import { customerAggregate, customerStreamId, requireCustomerMayAct } from '../customers/customerDecider.js';
import { decideHold, openOrdersAggregate, openOrdersStreamId, takesHold } from './openOrders.js';
import { orderAggregate, orderStreamId } from './orderDecider.js';
import type { OrderState } from './orderEvents.js';

// What the order commands check of the customer an order is for: that their own token may still
// act, and that a submission stays within the per-customer caps.

/** The customer whose own token runs this command (none for staff and services), refused once forgotten. */
export async function loadActingCustomer(env: CommandEnv) {
  const { actor } = env;
  if (actor.kind !== 'user' || actor.role !== 'customer') return undefined;
  const customer = await loadAggregate(env.services.eventStore, customerStreamId(actor.sub), customerAggregate);
  requireCustomerMayAct(customer.state);
  return customer;
}

/**
 * The submitted order's hold among its customer's open orders, within the per-customer caps
 * (none for staff, nor with both caps off: see {@link takesHold}). The open orders' statuses are read now: one paid or ended since
 * its hold was taken counts as such.
 */
export async function planHold(env: CommandEnv, order: OrderState): Promise<PlannedAppend[]> {
  const { maxOpenOrdersPerCustomer: maxOpenOrders, maxReservedUnitsPerCustomer: maxReservedUnits } = env.services.config;
  const caps = { maxOpenOrders, maxReservedUnits };
  const byStaff = isStaff(env.actor);
  if (!takesHold(byStaff, caps)) return [];
  const store = env.services.eventStore;
  const openOrders = await loadAggregate(store, openOrdersStreamId(order.customerId), openOrdersAggregate);
  const held = await Promise.all(
    openOrders.state.orders.map((o) => loadAggregate(store, orderStreamId(o.orderId), orderAggregate).then((l) => l.state)),
  );
  const statuses = new Map(held.map((o) => [o.id, o.status]));
  const units = order.lines.reduce((sum, l) => sum + l.quantity, 0);
  const events = decideHold({ orderId: order.id, units, byStaff, caps }, openOrders.state, (orderId) => statuses.get(orderId));
  return [planAppend(openOrders, events, env.now.toISOString())];
}
