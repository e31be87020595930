import { z } from 'zod';
import { isStaff, requirePaymentRecorder, requireStaff, requireSystem, requireUser, type Actor } from '../auth/actor.js';
import { loadAggregate, planAppend, type Loaded, type PlannedAppend } from '../commands/loadAggregate.js';
import type { CommandDefinition, CommandEnv, CommandPlan } from '../commands/pipeline.js';
import { bounded } from '../commands/validation.js';
import { customerAggregate, customerStreamId, requireCustomerMayAct } from '../customers/customerDecider.js';
import {
  ForbiddenError,
  InsufficientStockError,
  InvalidStateError,
  NotFoundError,
  ValidationError,
  type StockShortage,
} from '../domain/errors.js';
import { productAggregate, productStreamId, decideProduct } from '../products/productDecider.js';
import type { ProductCommand } from '../products/productEvents.js';
import { decideOrder, orderAggregate, orderStreamId, paymentRefAggregate, paymentRefStreamId } from './orderDecider.js';
import { MAX_LINE_QUANTITY, type OrderCommand, type OrderEvent, type OrderState } from './orderEvents.js';
import { orderViewFromState, type OrderView } from './orderView.js';
import { loadActingCustomer, planHold } from './customerLimits.js';
import { paymentDueAt } from './paymentDeadline.js';

type LoadedOrder = Loaded<OrderState, OrderEvent>;

/** Staff see every order; a customer only their own. Anything else looks exactly like a missing order. */
export function canSeeOrder(actor: Actor, order: { customerId: string }): boolean {
  return isStaff(actor) || (actor.kind === 'user' && actor.role === 'customer' && actor.sub === order.customerId);
}

async function loadOrderFor(env: CommandEnv, orderId: string, visible = canSeeOrder): Promise<LoadedOrder> {
  const [order] = await Promise.all([
    loadAggregate(env.services.eventStore, orderStreamId(orderId), orderAggregate),
    loadActingCustomer(env),
  ]);
  if (!order.state.exists || !visible(env.actor, order.state)) throw new NotFoundError('order not found');
  return order;
}

async function replayOrder(orderId: string, version: number, env: CommandEnv): Promise<OrderView> {
  const order = await loadAggregate(env.services.eventStore, orderStreamId(orderId), orderAggregate, version);
  return orderViewFromState(order.state, order.version);
}

/** The plan for an order command: the order's events first, then any product streams it touches. */
function orderPlan(order: LoadedOrder, events: OrderEvent[], env: CommandEnv, products: PlannedAppend[] = []): CommandPlan<OrderView> {
  const append = planAppend(order, events, env.now.toISOString());
  const state = append.stateAfter as OrderState;
  return {
    aggregateId: state.id || order.state.id,
    appends: [append, ...products],
    entity: orderViewFromState(state, order.version + events.length),
  };
}

/** Applies one product command per order line (reserve, release or ship), all or none. */
async function planStockChanges(
  env: CommandEnv,
  order: OrderState,
  command: (quantity: number) => ProductCommand,
): Promise<PlannedAppend[]> {
  const products = await Promise.all(
    order.lines.map((l) => loadAggregate(env.services.eventStore, productStreamId(l.sku), productAggregate)),
  );
  const shortages: StockShortage[] = [];
  const appends: PlannedAppend[] = [];
  products.forEach((product, i) => {
    try {
      appends.push(planAppend(product, decideProduct(command(order.lines[i]!.quantity), product.state), env.now.toISOString()));
    } catch (error) {
      if (!(error instanceof InsufficientStockError)) throw error;
      shortages.push(...error.shortages);
    }
  });
  // Report every short line at once; nothing is reserved unless every line can be.
  if (shortages.length > 0) throw new InsufficientStockError(shortages);
  return appends;
}

const orderId = bounded.id;
/** Units one addItem adds or one removeItem removes: the decider holds a whole line to the same limit. */
const lineQuantity = z.number().int().min(1, 'must be at least 1').max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`);

/** A command on an existing order that touches only the order stream. */
function simpleOrderCommand<I extends { orderId: string }>(
  name: string,
  input: z.ZodType<I>,
  toCommand: (input: I, actor: Actor) => OrderCommand,
  authorize = requireUser,
): CommandDefinition<I, OrderView> {
  return {
    name,
    input,
    authorize,
    async plan(i, env) {
      const order = await loadOrderFor(env, i.orderId);
      return orderPlan(order, decideOrder(toCommand(i, env.actor), order.state), env);
    },
    replay: replayOrder,
  };
}

export const createOrder: CommandDefinition<{ customerId: string; orderId?: string }, OrderView> = {
  name: 'createOrder',
  input: z.object({ customerId: bounded.id, orderId: bounded.id.optional() }),
  authorize: requireUser,
  async plan(input, env) {
    if (!isStaff(env.actor) && env.actor.kind === 'user' && env.actor.sub !== input.customerId) {
      throw new ForbiddenError('customers can only create orders for themselves');
    }
    // ALREADY_EXISTS would tell a customer that an id they guessed is someone else's order; a
    // random UUID cannot be guessed, so that answer tells them nothing. Staff may choose any id.
    if (input.orderId !== undefined && !isStaff(env.actor) && !z.uuid().safeParse(input.orderId).success) {
      throw new ValidationError([{ path: 'input.orderId', message: 'a customer may choose only a UUID as order id' }]);
    }
    const customer = await loadAggregate(env.services.eventStore, customerStreamId(input.customerId), customerAggregate);
    if (!customer.state.exists) throw new NotFoundError('customer not found');
    if (!isStaff(env.actor)) requireCustomerMayAct(customer.state);
    if (customer.state.forgotten) throw new InvalidStateError('the customer has been forgotten: they can create no new order');
    const id = input.orderId ?? env.newId();
    const order = await loadAggregate(env.services.eventStore, orderStreamId(id), orderAggregate);
    const events = decideOrder({ type: 'CreateOrder', orderId: id, customerId: input.customerId }, order.state);
    // The customer's stream joins the append at the version read here, with no events of its own:
    // a CustomerForgotten committed meanwhile is a conflict, and deciding again refuses the order.
    return orderPlan(order, events, env, [planAppend(customer, [], env.now.toISOString())]);
  },
  replay: replayOrder,
};

export const addItem: CommandDefinition<{ orderId: string; sku: string; quantity: number }, OrderView> = {
  name: 'addItem',
  input: z.object({ orderId, sku: bounded.sku, quantity: lineQuantity }),
  authorize: requireUser,
  async plan(input, env) {
    const [order, product] = await Promise.all([
      loadOrderFor(env, input.orderId),
      loadAggregate(env.services.eventStore, productStreamId(input.sku), productAggregate),
    ]);
    if (!product.state.exists) throw new NotFoundError(`no product with sku ${input.sku}`);
    const { name, priceCents } = product.state;
    return orderPlan(
      order,
      decideOrder({ type: 'AddItem', sku: input.sku, quantity: input.quantity, product: { name, priceCents } }, order.state),
      env,
    );
  },
  replay: replayOrder,
};

export const removeItem = simpleOrderCommand(
  'removeItem',
  z.object({ orderId, sku: bounded.sku, quantity: lineQuantity.optional() }),
  (i) => ({ type: 'RemoveItem', sku: i.sku, quantity: i.quantity }),
);

export const submitOrder: CommandDefinition<{ orderId: string }, OrderView> = {
  name: 'submitOrder',
  input: z.object({ orderId }),
  authorize: requireUser,
  async plan(input, env) {
    const order = await loadOrderFor(env, input.orderId);
    const events = decideOrder({ type: 'SubmitOrder' }, order.state);
    const [reservations, hold] = await Promise.all([
      planStockChanges(env, order.state, (quantity) => ({ type: 'ReserveStock', orderId: input.orderId, quantity })),
      planHold(env, order.state),
    ]);
    return orderPlan(order, events, env, [...reservations, ...hold]);
  },
  replay: replayOrder,
};

/**
 * Staff or the payment service record a payment. One reference pays one order: the payment also
 * claims the reference's own stream (`PaymentRef-<ref>`) at the version read here, in the same
 * atomic append, so of two orders racing with one reference the event store's optimistic
 * concurrency lets exactly one commit; the other decides again and finds it PAYMENT_REF_TAKEN.
 */
export const recordPayment: CommandDefinition<{ orderId: string; amountCents: number; paymentRef: string }, OrderView> = {
  name: 'recordPayment',
  input: z.object({ orderId, amountCents: bounded.cents, paymentRef: bounded.text(100) }),
  authorize: requirePaymentRecorder,
  async plan(input, env) {
    const store = env.services.eventStore;
    const [order, claim] = await Promise.all([
      // Only staff and the payment service get here, and both may pay any order.
      loadOrderFor(env, input.orderId, () => true),
      loadAggregate(store, paymentRefStreamId(input.paymentRef), paymentRefAggregate),
    ]);
    const { amountCents, paymentRef } = input;
    const events = decideOrder({ type: 'RecordPayment', amountCents, paymentRef, paymentRefClaimedBy: claim.state.claimedBy }, order.state);
    const claims =
      events.length > 0
        ? [planAppend(claim, [{ type: 'PaymentRefClaimed', data: { orderId: order.state.id } }], env.now.toISOString())]
        : [];
    return orderPlan(order, events, env, claims);
  },
  replay: replayOrder,
};

export const shipOrder: CommandDefinition<{ orderId: string; carrier: string; trackingNumber: string }, OrderView> = {
  name: 'shipOrder',
  input: z.object({ orderId, carrier: bounded.text(100), trackingNumber: bounded.text(100) }),
  authorize: requireStaff,
  async plan(input, env) {
    const order = await loadOrderFor(env, input.orderId);
    const events = decideOrder({ type: 'ShipOrder', carrier: input.carrier, trackingNumber: input.trackingNumber }, order.state);
    const shipments = await planStockChanges(env, order.state, (quantity) => ({ type: 'ShipStock', orderId: input.orderId, quantity }));
    return orderPlan(order, events, env, shipments);
  },
  replay: replayOrder,
};

export const deliverOrder = simpleOrderCommand('deliverOrder', z.object({ orderId }), () => ({ type: 'DeliverOrder' }), requireStaff);

export const cancelOrder: CommandDefinition<{ orderId: string; reason: string }, OrderView> = {
  name: 'cancelOrder',
  input: z.object({ orderId, reason: bounded.text(500) }),
  authorize: requireUser,
  async plan(input, env) {
    const order = await loadOrderFor(env, input.orderId);
    const events = decideOrder({ type: 'CancelOrder', reason: input.reason, byStaff: isStaff(env.actor) }, order.state);
    // Submitted and paid orders hold reservations; cancelling gives the stock back.
    const holdsStock = order.state.status === 'SUBMITTED' || order.state.status === 'PAID';
    const releases = holdsStock
      ? await planStockChanges(env, order.state, (quantity) => ({ type: 'ReleaseStock', orderId: input.orderId, quantity }))
      : [];
    return orderPlan(order, events, env, releases);
  },
  replay: replayOrder,
};

/**
 * Expires a submitted order whose payment deadline has passed and releases its reservations (all
 * or none, as cancelling does). Issued only by the payment deadlines process, as the system; the
 * deadline is the order's own (its submission plus PAYMENT_TIMEOUT_SECONDS), checked again here.
 */
export const expireOrder: CommandDefinition<{ orderId: string }, OrderView> = {
  name: 'expireOrder',
  input: z.object({ orderId }),
  authorize: requireSystem,
  async plan(input, env) {
    const order = await loadAggregate(env.services.eventStore, orderStreamId(input.orderId), orderAggregate);
    if (!order.state.exists) throw new NotFoundError('order not found');
    const dueAt = paymentDueAt(order.state, env.services.config.paymentTimeoutSeconds);
    if (order.state.status === 'SUBMITTED' && !dueAt) throw new InvalidStateError('payment deadlines are off (PAYMENT_TIMEOUT_SECONDS=0)');
    const events = decideOrder({ type: 'ExpireOrder', paymentDueAt: dueAt ?? '', now: env.now.toISOString() }, order.state);
    const releases = await planStockChanges(env, order.state, (quantity) => ({ type: 'ReleaseStock', orderId: input.orderId, quantity }));
    return orderPlan(order, events, env, releases);
  },
  replay: replayOrder,
};
