import {
  AlreadyExistsError,
  ConcurrencyConflictError,
  ConsistencyTimeoutError,
  DomainError,
  EmailTakenError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  InvalidStateError,
  NotFoundError,
  OrderEmptyError,
  PaymentMismatchError,
  PaymentRefTakenError,
  RateLimitedError,
  SkuTakenError,
  TooManyChangesError,
  TooManyLinesError,
  TooManyOpenOrdersError,
  TooManyReservedUnitsError,
  UnauthenticatedError,
  ValidationError,
  type FieldError,
  type StockShortage,
} from '../domain/errors.js';
import { definedOnce } from './builder.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error classes take different constructor arguments
type ErrorClass<T extends DomainError> = new (...args: any[]) => T;

/** `interface Error { code message }` and a type for each rejection, so a client can switch on `code`; defined once per builder. */
export const errorTypes = definedOnce((builder) => {
  const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
    description: 'A rejection: `code` is machine-readable and stable, `message` is for people.',
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
    }),
  });

  /** Registers an error class as a GraphQL object type implementing `Error`. */
  function errorType<T extends DomainError>(cls: ErrorClass<T>, name: string, description: string) {
    return builder.objectType(cls, { name, description, interfaces: [ErrorInterface] as never, isTypeOf: (value) => value instanceof cls });
  }

  const FieldErrorType = builder.objectRef<FieldError>('FieldError').implement({
    fields: (t) => ({
      path: t.exposeString('path', { description: 'Dotted path of the field from the argument, e.g. `input.email`.' }),
      message: t.exposeString('message'),
    }),
  });

  const StockShortageType = builder.objectRef<StockShortage>('StockShortage').implement({
    fields: (t) => ({ sku: t.exposeString('sku'), requested: t.exposeInt('requested'), available: t.exposeInt('available') }),
  });

  errorType(DomainError, 'CommandError', 'Any other rejection; see `code`.');
  builder.objectFields(errorType(ValidationError, 'ValidationError', 'VALIDATION_FAILED: the input breaks a rule.'), (t) => ({
    fieldErrors: t.field({ type: [FieldErrorType], resolve: (e) => e.fieldErrors }),
  }));
  builder.objectFields(
    errorType(ConcurrencyConflictError, 'ConcurrencyConflictError', 'CONCURRENCY_CONFLICT: `expectedVersion` is stale.'),
    (t) => ({
      expectedVersion: t.exposeInt('expectedVersion'),
      actualVersion: t.exposeInt('actualVersion'),
    }),
  );
  builder.objectFields(errorType(InsufficientStockError, 'InsufficientStockError', 'INSUFFICIENT_STOCK: nothing was reserved.'), (t) => ({
    shortages: t.field({ type: [StockShortageType], resolve: (e) => e.shortages }),
  }));
  builder.objectFields(
    errorType(PaymentMismatchError, 'PaymentMismatchError', 'PAYMENT_MISMATCH: the amount is not the order total.'),
    (t) => ({
      expectedAmountCents: t.exposeInt('expectedAmountCents'),
    }),
  );
  builder.objectFields(
    errorType(PaymentRefTakenError, 'PaymentRefTakenError', 'PAYMENT_REF_TAKEN: that paymentRef already paid another order.'),
    (t) => ({
      paymentRef: t.exposeString('paymentRef'),
    }),
  );
  builder.objectFields(
    errorType(RateLimitedError, 'RateLimitedError', 'RATE_LIMITED: too many of these from you for now; nothing was done.'),
    (t) => ({
      retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'When to try again.' }),
    }),
  );
  builder.objectFields(
    errorType(TooManyOpenOrdersError, 'TooManyOpenOrdersError', 'TOO_MANY_OPEN_ORDERS: pay or cancel an unpaid order first.'),
    (t) => ({ max: t.exposeInt('max', { description: 'Unpaid submitted orders a customer may have at once.' }) }),
  );
  builder.objectFields(
    errorType(
      TooManyReservedUnitsError,
      'TooManyReservedUnitsError',
      "TOO_MANY_RESERVED_UNITS: the customer's orders hold enough stock already.",
    ),
    (t) => ({
      max: t.exposeInt('max', { description: 'Units a customer may hold reserved at once.' }),
      reserved: t.exposeInt('reserved', { description: "Units the customer's other orders hold reserved now." }),
    }),
  );
  builder.objectFields(
    errorType(TooManyLinesError, 'TooManyLinesError', 'TOO_MANY_LINES: the order has all the lines it may have.'),
    (t) => ({
      max: t.exposeInt('max', { description: 'Lines an order may have.' }),
    }),
  );
  builder.objectFields(
    errorType(TooManyChangesError, 'TooManyChangesError', 'TOO_MANY_CHANGES: the draft has taken all the item changes it may.'),
    (t) => ({ max: t.exposeInt('max', { description: 'Item changes (adds and removes) a draft order takes.' }) }),
  );
  errorType(NotFoundError, 'NotFoundError', 'NOT_FOUND (also for what exists but is not yours).');
  errorType(InvalidStateError, 'InvalidStateError', 'INVALID_STATE: not allowed in the current status.');
  errorType(AlreadyExistsError, 'AlreadyExistsError', 'ALREADY_EXISTS: that id is taken.');
  errorType(EmailTakenError, 'EmailTakenError', 'EMAIL_TAKEN.');
  errorType(SkuTakenError, 'SkuTakenError', 'SKU_TAKEN.');
  errorType(OrderEmptyError, 'OrderEmptyError', 'ORDER_EMPTY: add an item first.');
  errorType(IdempotencyKeyReusedError, 'IdempotencyKeyReusedError', 'IDEMPOTENCY_KEY_REUSED: that commandId came with another input.');
  errorType(UnauthenticatedError, 'UnauthenticatedError', 'UNAUTHENTICATED: no valid token.');
  errorType(ForbiddenError, 'ForbiddenError', 'FORBIDDEN: your role may not do this.');
  errorType(ConsistencyTimeoutError, 'ConsistencyTimeoutError', 'CONSISTENCY_TIMEOUT: the read side did not catch up in time.');

  return { ErrorInterface };
});

/** Rejections any command can give; each mutation adds its own. */
export const COMMON_COMMAND_ERRORS = [
  ValidationError,
  UnauthenticatedError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  ConcurrencyConflictError,
];
