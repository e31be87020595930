import { describe, expect, it } from 'vitest';
import { ConcurrencyConflictError, DomainError } from '../domain/errors.js';
import { ConcurrencyError } from './errors.js';

describe("the event store's conflict", () => {
  it("should be the domain's CONCURRENCY_CONFLICT, with the message clients see, naming its stream", () => {
    const conflict = new ConcurrencyError('Order-1', 3, 4);
    expect(conflict).toBeInstanceOf(ConcurrencyConflictError);
    expect(conflict).toBeInstanceOf(DomainError);
    expect(conflict).toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId: 'Order-1', expectedVersion: 3, actualVersion: 4 });
    expect(conflict.message).toBe(new ConcurrencyConflictError(3, 4).message);
  });
});
