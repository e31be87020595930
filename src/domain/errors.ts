/**
 * Expected failures: every rejection a command or query can give, each with a machine-readable
 * `code`. They are returned as typed members of each mutation's result union (see
 * src/graphql/errorTypes.ts); anything that is not a DomainError is an unexpected error and masked.
 */
export class DomainError extends Error {
  readonly code: string = 'REJECTED';
}

/** One invalid input field: `path` is dotted from the mutation argument, e.g. `input.email`. */
export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly fieldErrors: FieldError[]) {
    super(`invalid input: ${fieldErrors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

export class ConcurrencyConflictError extends DomainError {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`expected version ${expectedVersion}, but it is at version ${actualVersion}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class InvalidStateError extends DomainError {
  readonly code = 'INVALID_STATE';
}

export class AlreadyExistsError extends DomainError {
  readonly code = 'ALREADY_EXISTS';
}

export class EmailTakenError extends DomainError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('a customer with this email is already registered');
  }
}

export class SkuTakenError extends DomainError {
  readonly code = 'SKU_TAKEN';
  constructor(readonly sku: string) {
    super(`a product with sku ${sku} already exists`);
  }
}

export class OrderEmptyError extends DomainError {
  readonly code = 'ORDER_EMPTY';
  constructor() {
    super('an order needs at least one item to be submitted');
  }
}

/** One line that cannot be reserved. */
export interface StockShortage {
  sku: string;
  requested: number;
  available: number;
}

export class InsufficientStockError extends DomainError {
  readonly code = 'INSUFFICIENT_STOCK';
  constructor(readonly shortages: StockShortage[]) {
    super(`not enough stock for ${shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}`);
  }
}

export class PaymentMismatchError extends DomainError {
  readonly code = 'PAYMENT_MISMATCH';
  constructor(
    readonly expectedAmountCents: number,
    readonly amountCents: number,
  ) {
    super(`payment of ${amountCents} cents does not equal the order total of ${expectedAmountCents} cents`);
  }
}

export class PaymentRefTakenError extends DomainError {
  readonly code = 'PAYMENT_REF_TAKEN';
  constructor(readonly paymentRef: string) {
    super(`payment reference ${paymentRef} already paid another order`);
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('this commandId was already used with a different input');
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
}

/** The projections did not reach a `consistentWith` position in time. */
export class ConsistencyTimeoutError extends DomainError {
  readonly code = 'CONSISTENCY_TIMEOUT';
}

/** More `consistentWith` waits at once than one request or one caller may hold. */
export class TooManyConsistencyWaitsError extends DomainError {
  readonly code = 'TOO_MANY_CONSISTENCY_WAITS';
  constructor(
    readonly scope: 'request' | 'client',
    readonly max: number,
  ) {
    super(`too many consistentWith waits at once: at most ${max} per ${scope}; retry once your earlier reads have answered`);
  }
}

/** More of something than a client may do in a while; `retryAfterSeconds` says when it may again. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The customer already has `max` unpaid submitted orders: pay or cancel one first. */
export class TooManyOpenOrdersError extends DomainError {
  readonly code = 'TOO_MANY_OPEN_ORDERS';
  constructor(readonly max: number) {
    super(`a customer may have at most ${max} unpaid submitted orders: pay or cancel one first`);
  }
}

/** Submitting would hold more than `max` units reserved for the customer at once. */
export class TooManyReservedUnitsError extends DomainError {
  readonly code = 'TOO_MANY_RESERVED_UNITS';
  constructor(
    readonly max: number,
    readonly reserved: number,
  ) {
    super(`a customer may hold at most ${max} units reserved at once; ${reserved} are already reserved for their orders`);
  }
}

/** An order holds at most `max` lines. */
export class TooManyLinesError extends DomainError {
  readonly code = 'TOO_MANY_LINES';
  constructor(readonly max: number) {
    super(`an order holds at most ${max} lines`);
  }
}

/** A draft order takes at most `max` item changes (adds and removes). */
export class TooManyChangesError extends DomainError {
  readonly code = 'TOO_MANY_CHANGES';
  constructor(readonly max: number) {
    super(`a draft order takes at most ${max} item changes: submit it, or start a new order`);
  }
}
