import {
  AlreadyExistsError,
  InsufficientStockError,
  InvalidStateError,
  NotFoundError,
  OrderEmptyError,
  PaymentMismatchError,
  PaymentRefTakenError,
  TooManyChangesError,
  TooManyLinesError,
  TooManyOpenOrdersError,
  TooManyReservedUnitsError,
} from '../domain/errors.js';
import { commandMutation, entityAtPosition, type CommandSuccessFields } from '../graphql/commandTypes.js';
import type { Builder } from '../graphql/builder.js';
import { addItem, cancelOrder, createOrder, deliverOrder, recordPayment, removeItem, shipOrder, submitOrder } from './orderCommands.js';
import { orderTypes } from './orderTypes.js';
import type { OrderView } from './orderView.js';

/** Adds this slice's GraphQL to a schema builder. */
export function orderMutations(builder: Builder): void {
  const { OrderType } = orderTypes(builder);
  /** Every order command answers with the order as the command left it. */
  const success: CommandSuccessFields<OrderView> = (t) => ({ order: t.field({ type: OrderType, resolve: entityAtPosition }) });
  commandMutation(builder, {
    name: 'createOrder',
    description:
      'Opens a DRAFT order for a customer (customers for themselves, staff for anyone). `orderId` may be chosen by the client: any id by staff, only a UUID by a customer.',
    definition: createOrder,
    onExistingAggregate: false,
    input: (t) => ({ customerId: t.id({ required: true }), orderId: t.id({ required: false }) }),
    success,
    errors: [NotFoundError, AlreadyExistsError, InvalidStateError],
  });

  commandMutation(builder, {
    name: 'addItem',
    description: 'Adds 1..1000 units of a product to a DRAFT order at the catalog price of this moment.',
    definition: addItem,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }), sku: t.string({ required: true }), quantity: t.int({ required: true }) }),
    success,
    errors: [NotFoundError, InvalidStateError, TooManyLinesError, TooManyChangesError],
  });

  commandMutation(builder, {
    name: 'removeItem',
    description: 'Removes units of a line from a DRAFT order; without `quantity`, the whole line.',
    definition: removeItem,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }), sku: t.string({ required: true }), quantity: t.int({ required: false }) }),
    success,
    errors: [NotFoundError, InvalidStateError, TooManyChangesError],
  });

  commandMutation(builder, {
    name: 'submitOrder',
    description: 'Submits a DRAFT order, reserving stock for every line at once or for none (INSUFFICIENT_STOCK).',
    definition: submitOrder,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }) }),
    success,
    errors: [NotFoundError, InvalidStateError, OrderEmptyError, InsufficientStockError, TooManyOpenOrdersError, TooManyReservedUnitsError],
  });

  commandMutation(builder, {
    name: 'recordPayment',
    description:
      "Records the payment of a SUBMITTED order (staff, or the payment service's `payments` token); the amount must equal the total. The same paymentRef and amount again changes nothing; a paymentRef that paid another order is PAYMENT_REF_TAKEN.",
    definition: recordPayment,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }), amountCents: t.int({ required: true }), paymentRef: t.string({ required: true }) }),
    success,
    errors: [NotFoundError, InvalidStateError, PaymentMismatchError, PaymentRefTakenError],
  });

  commandMutation(builder, {
    name: 'shipOrder',
    description: 'Ships a PAID order (staff): its reserved stock leaves the warehouse.',
    definition: shipOrder,
    onExistingAggregate: true,
    input: (t) => ({
      orderId: t.id({ required: true }),
      carrier: t.string({ required: true }),
      trackingNumber: t.string({ required: true }),
    }),
    success,
    errors: [NotFoundError, InvalidStateError],
  });

  commandMutation(builder, {
    name: 'deliverOrder',
    description: 'Marks a SHIPPED order delivered (staff).',
    definition: deliverOrder,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }) }),
    success,
    errors: [NotFoundError, InvalidStateError],
  });

  commandMutation(builder, {
    name: 'cancelOrder',
    description:
      'Cancels an order: owners while DRAFT or SUBMITTED, staff also when PAID (a refund is recorded). Reserved stock is released.',
    definition: cancelOrder,
    onExistingAggregate: true,
    input: (t) => ({ orderId: t.id({ required: true }), reason: t.string({ required: true }) }),
    success,
    errors: [NotFoundError, InvalidStateError],
  });
}
