import { assertNever, type Aggregate } from '../domain/aggregate.js';
import {
  AlreadyExistsError,
  ForbiddenError,
  InvalidStateError,
  NotFoundError,
  OrderEmptyError,
  PaymentMismatchError,
  PaymentRefTakenError,
  TooManyChangesError,
  TooManyLinesError,
  ValidationError,
} from '../domain/errors.js';
import { MAX_INT32 } from '../domain/limits.js';
import { ORDER_STREAMS, streamIds } from '../domain/streamIds.js';
import {
  MAX_DRAFT_CHANGES,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PaymentRefEvent,
} from './orderEvents.js';
import { addToLines, orderTotalCents, removeFromLines } from './orderLines.js';
import { ORDER_TRANSITIONS, statusAfter, type StatusTransition } from './orderStatus.js';

/** The Order aggregate: `decide` and `evolve` are pure; time, ids and prices come in as arguments. */
export const orderAggregate: Aggregate<OrderState, OrderEvent> = {
  streamType: ORDER_STREAMS.type,
  // 2: `draftChanges` added; states folded before it lack it.
  snapshotSchemaVersion: 2,
  initialState: () => ({
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
  }),
  evolve: evolveOrder,
};

export const orderStreamId = (orderId: string): string => ORDER_STREAMS.of(orderId);

const PAYMENT_REF_STREAMS = streamIds('PaymentRef');

/** Which order a payment reference paid (the reference stream's state). */
export const paymentRefAggregate: Aggregate<{ claimedBy: string | null }, PaymentRefEvent> = {
  streamType: PAYMENT_REF_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ claimedBy: null }),
  evolve: (_state, event) => ({ claimedBy: event.data.orderId }),
};

export const paymentRefStreamId = (paymentRef: string): string => PAYMENT_REF_STREAMS.of(paymentRef);

/** Refuses a command whose event the order's status does not allow (the status machine's `from`). */
function requireStatus(state: OrderState, transition: StatusTransition, action: string): void {
  if (!transition.from.includes(state.status)) {
    throw new InvalidStateError(`cannot ${action} an order that is ${state.status} (it must be ${transition.from.join(' or ')})`);
  }
}

/** Item changes are allowed while the order is being put together, up to {@link MAX_DRAFT_CHANGES} of them. */
const EDITABLE: StatusTransition = { from: ['DRAFT'], to: 'DRAFT' };

function requireEditable(state: OrderState, action: string): void {
  requireStatus(state, EDITABLE, action);
  if (state.draftChanges >= MAX_DRAFT_CHANGES) throw new TooManyChangesError(MAX_DRAFT_CHANGES);
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
      requireEditable(state, 'add items to');
      const line = state.lines.find((l) => l.sku === command.sku);
      if (!line && state.lines.length >= MAX_ORDER_LINES) throw new TooManyLinesError(MAX_ORDER_LINES);
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
      requireEditable(state, 'remove items from');
      const line = state.lines.find((l) => l.sku === command.sku);
      if (!line) throw new NotFoundError(`the order has no line for sku ${command.sku}`);
      const quantity = Math.min(command.quantity ?? line.quantity, line.quantity);
      return [{ type: 'ItemRemoved', data: { sku: command.sku, quantity } }];
    }
    case 'SubmitOrder': {
      requireStatus(state, ORDER_TRANSITIONS.OrderSubmitted, 'submit');
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
      requireStatus(state, ORDER_TRANSITIONS.PaymentRecorded, 'record a payment for');
      if (command.paymentRefClaimedBy !== null && command.paymentRefClaimedBy !== state.id)
        throw new PaymentRefTakenError(command.paymentRef);
      const total = orderTotalCents(state.lines);
      if (command.amountCents !== total) throw new PaymentMismatchError(total, command.amountCents);
      return [{ type: 'PaymentRecorded', data: { amountCents: command.amountCents, paymentRef: command.paymentRef } }];
    }
    case 'ShipOrder':
      requireStatus(state, ORDER_TRANSITIONS.OrderShipped, 'ship');
      return [{ type: 'OrderShipped', data: { carrier: command.carrier, trackingNumber: command.trackingNumber } }];
    case 'DeliverOrder':
      requireStatus(state, ORDER_TRANSITIONS.OrderDelivered, 'deliver');
      return [{ type: 'OrderDelivered', data: {} }];
    case 'CancelOrder': {
      requireStatus(state, ORDER_TRANSITIONS.OrderCancelled, 'cancel');
      if (state.status === 'PAID' && !command.byStaff) throw new ForbiddenError('only staff can cancel a paid order');
      const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: command.reason, previousStatus: state.status } };
      if (state.status !== 'PAID') return [cancelled];
      return [cancelled, { type: 'RefundRecorded', data: { amountCents: state.paidCents, paymentRef: state.paymentRef ?? '' } }];
    }
    case 'ExpireOrder':
      requireStatus(state, ORDER_TRANSITIONS.OrderExpired, 'expire');
      // A process whose clock runs ahead must not take a customer's remaining time away.
      if (Date.parse(command.now) < Date.parse(command.paymentDueAt)) {
        throw new InvalidStateError(`the order's payment is due at ${command.paymentDueAt}, not yet`);
      }
      return [{ type: 'OrderExpired', data: { paymentDueAt: command.paymentDueAt } }];
    default:
      return assertNever(command);
  }
}

/** Folds one event into the order's state. */
export function evolveOrder(state: OrderState, event: OrderEvent, { occurredAt }: { occurredAt: string }): OrderState {
  const next = { ...state, status: statusAfter(state.status, event.type), updatedAt: occurredAt };
  switch (event.type) {
    case 'OrderCreated':
      return { ...next, exists: true, id: event.data.orderId, customerId: event.data.customerId, createdAt: occurredAt };
    case 'ItemAdded': {
      const { sku, name, quantity, unitPriceCents } = event.data;
      const lines = addToLines(state.lines, sku, quantity, () => ({ sku, name, quantity, unitPriceCents }));
      return { ...next, lines, draftChanges: state.draftChanges + 1 };
    }
    case 'ItemRemoved':
      return { ...next, lines: removeFromLines(state.lines, event.data.sku, event.data.quantity), draftChanges: state.draftChanges + 1 };
    case 'PaymentRecorded':
      return { ...next, paymentRef: event.data.paymentRef, paidCents: event.data.amountCents };
    case 'OrderSubmitted':
    case 'OrderShipped':
    case 'OrderDelivered':
    case 'OrderCancelled':
    case 'RefundRecorded':
    case 'OrderExpired':
      return next;
    default:
      return assertNever(event);
  }
}
