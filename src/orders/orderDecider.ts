import { assertNever, type Aggregate } from '../domain/aggregate.js';
import {
  AlreadyExistsError, ForbiddenError, InvalidStateError, NotFoundError, OrderEmptyError, PaymentMismatchError, PaymentRefTakenError, ValidationError,
} from '../domain/errors.js';
import { MAX_INT32 } from '../domain/limits.js';
import {
  MAX_LINE_QUANTITY, orderTotalCents, type OrderCommand, type OrderEvent, type OrderState, type OrderStatus, type PaymentRefEvent,
} from './orderEvents.js';

/** The Order aggregate: `decide` and `evolve` are pure; time, ids and prices come in as arguments. */
export const orderAggregate: Aggregate<OrderState, OrderEvent> = {
  streamType: 'Order',
  snapshotSchemaVersion: 1,
  initialState: () => ({
    exists: false,
    id: '',
    customerId: '',
    status: 'DRAFT',
    lines: [],
    paymentRef: null,
    paidCents: 0,
    createdAt: '',
    updatedAt: '',
  }),
  evolve: evolveOrder,
};

export function orderStreamId(orderId: string): string {
  return `Order-${orderId}`;
}

/** Which order a payment reference paid (the reference stream's state). */
export const paymentRefAggregate: Aggregate<{ claimedBy: string | null }, PaymentRefEvent> = {
  streamType: 'PaymentRef',
  snapshotSchemaVersion: 1,
  initialState: () => ({ claimedBy: null }),
  evolve: (_state, event) => ({ claimedBy: event.data.orderId }),
};

export const paymentRefStreamId = (paymentRef: string): string => `PaymentRef-${paymentRef}`;

function requireStatus(state: OrderState, allowed: OrderStatus[], action: string): void {
  if (!allowed.includes(state.status)) {
    throw new InvalidStateError(`cannot ${action} an order that is ${state.status} (it must be ${allowed.join(' or ')})`);
  }
}

/**
 * Decides what a command does to an order: the events to append, or a typed rejection (thrown).
 * Authorisation of who may act on the order is the pipeline's; the one role rule that depends on
 * the order's state (only staff cancel a paid order) is decided here.
 */
export function decideOrder(command: OrderCommand, state: OrderState): OrderEvent[] {
  if (command.type === 'CreateOrder') {
    if (state.exists) throw new AlreadyExistsError(`order ${command.orderId} already exists`);
    return [{ type: 'OrderCreated', data: { orderId: command.orderId, customerId: command.customerId } }];
  }
  if (!state.exists) throw new NotFoundError('order not found');
  switch (command.type) {
    case 'AddItem': {
      requireStatus(state, ['DRAFT'], 'add items to');
      const line = state.lines.find((l) => l.sku === command.sku);
      if ((line?.quantity ?? 0) + command.quantity > MAX_LINE_QUANTITY) {
        throw new ValidationError([{ path: 'input.quantity', message: `a line holds at most ${MAX_LINE_QUANTITY} units` }]);
      }
      // A repeated sku joins its line with the name and price captured when the line was started.
      const { name, priceCents } = line ? { name: line.name, priceCents: line.unitPriceCents } : command.product;
      if (orderTotalCents(state.lines) + command.quantity * priceCents > MAX_INT32) {
        throw new ValidationError([{ path: 'input.quantity', message: `the order total would exceed ${MAX_INT32} cents` }]);
      }
      return [{ type: 'ItemAdded', data: { sku: command.sku, name, quantity: command.quantity, unitPriceCents: priceCents } }];
    }
    case 'RemoveItem': {
      requireStatus(state, ['DRAFT'], 'remove items from');
      const line = state.lines.find((l) => l.sku === command.sku);
      if (!line) throw new NotFoundError(`the order has no line for sku ${command.sku}`);
      const quantity = Math.min(command.quantity ?? line.quantity, line.quantity);
      return [{ type: 'ItemRemoved', data: { sku: command.sku, quantity } }];
    }
    case 'SubmitOrder': {
      requireStatus(state, ['DRAFT'], 'submit');
      if (state.lines.length === 0) throw new OrderEmptyError();
      const lines = state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      return [{ type: 'OrderSubmitted', data: { totalCents: orderTotalCents(state.lines), lines } }];
    }
    case 'RecordPayment': {
      // The same payment reported again (a retried webhook, say) changes nothing; the same
      // reference with another amount is not the same payment.
      if (state.paymentRef === command.paymentRef && state.status !== 'DRAFT') {
        if (command.amountCents !== state.paidCents) throw new PaymentMismatchError(state.paidCents, command.amountCents);
        return [];
      }
      requireStatus(state, ['SUBMITTED'], 'record a payment for');
      if (command.paymentRefClaimedBy !== null && command.paymentRefClaimedBy !== state.id) throw new PaymentRefTakenError(command.paymentRef);
      const total = orderTotalCents(state.lines);
      if (command.amountCents !== total) throw new PaymentMismatchError(total, command.amountCents);
      return [{ type: 'PaymentRecorded', data: { amountCents: command.amountCents, paymentRef: command.paymentRef } }];
    }
    case 'ShipOrder':
      requireStatus(state, ['PAID'], 'ship');
      return [{ type: 'OrderShipped', data: { carrier: command.carrier, trackingNumber: command.trackingNumber } }];
    case 'DeliverOrder':
      requireStatus(state, ['SHIPPED'], 'deliver');
      return [{ type: 'OrderDelivered', data: {} }];
    case 'CancelOrder': {
      requireStatus(state, ['DRAFT', 'SUBMITTED', 'PAID'], 'cancel');
      if (state.status === 'PAID' && !command.byStaff) throw new ForbiddenError('only staff can cancel a paid order');
      const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: command.reason, previousStatus: state.status } };
      if (state.status !== 'PAID') return [cancelled];
      return [cancelled, { type: 'RefundRecorded', data: { amountCents: state.paidCents, paymentRef: state.paymentRef ?? '' } }];
    }
    default:
      return assertNever(command);
  }
}

/** Folds one event into the order's state. */
export function evolveOrder(state: OrderState, event: OrderEvent, { occurredAt }: { occurredAt: string }): OrderState {
  const next = { ...state, updatedAt: occurredAt };
  switch (event.type) {
    case 'OrderCreated':
      return { ...next, exists: true, id: event.data.orderId, customerId: event.data.customerId, status: 'DRAFT', createdAt: occurredAt };
    case 'ItemAdded': {
      const { sku, name, quantity, unitPriceCents } = event.data;
      const existing = state.lines.find((l) => l.sku === sku);
      const lines = existing
        ? state.lines.map((l) => (l.sku === sku ? { ...l, quantity: l.quantity + quantity } : l))
        : [...state.lines, { sku, name, quantity, unitPriceCents }];
      return { ...next, lines };
    }
    case 'ItemRemoved': {
      const lines = state.lines
        .map((l) => (l.sku === event.data.sku ? { ...l, quantity: l.quantity - event.data.quantity } : l))
        .filter((l) => l.quantity > 0);
      return { ...next, lines };
    }
    case 'OrderSubmitted':
      return { ...next, status: 'SUBMITTED' };
    case 'PaymentRecorded':
      return { ...next, status: 'PAID', paymentRef: event.data.paymentRef, paidCents: event.data.amountCents };
    case 'OrderShipped':
      return { ...next, status: 'SHIPPED' };
    case 'OrderDelivered':
      return { ...next, status: 'DELIVERED' };
    case 'OrderCancelled':
      return { ...next, status: 'CANCELLED' };
    case 'RefundRecorded':
      return next;
    default:
      return assertNever(event);
  }
}
