import { ConcurrencyConflictError } from '../domain/errors.js';

/**
 * A stream was not at the version the caller expected. It is the domain's CONCURRENCY_CONFLICT
 * (clients see its versions and message), naming the stream, so a caller appending to several
 * streams can tell whose version moved.
 */
export class ConcurrencyError extends ConcurrencyConflictError {
  constructor(
    readonly streamId: string,
    expectedVersion: number,
    actualVersion: number,
  ) {
    super(expectedVersion, actualVersion);
  }
}

/** The append request itself is malformed: a programming error, never a rejection shown to a client. */
export class InvalidAppendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}
