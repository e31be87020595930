import { ValidationError } from '../domain/errors.js';
import type { GraphQLContext } from './context.js';

/** The largest position the log can hold (a PostgreSQL bigint). */
const MAX_POSITION = 2n ** 63n - 1n;

/**
 * Parses a position argument (`consistentWith`, a subscription's `after`): a decimal the API
 * returned, within the log's 64 bits; undefined when absent. Anything else is VALIDATION_FAILED on
 * `argument`, so a forged value never reaches the database, which would fail on it unexpectedly.
 */
export function parsePosition(token: string | null | undefined, argument: string): bigint | undefined {
  if (token === null || token === undefined) return undefined;
  const position = /^\d{1,19}$/.test(token) ? BigInt(token) : undefined;
  if (position === undefined || position > MAX_POSITION) {
    throw new ValidationError([{ path: argument, message: 'must be a `position` returned by the API' }]);
  }
  return position;
}

/** Read-your-writes for a query field: waits when `consistentWith` is given (bounded, then CONSISTENCY_TIMEOUT). */
export async function readConsistently(ctx: GraphQLContext, projections: readonly string[], consistentWith: string | null | undefined): Promise<void> {
  const position = parsePosition(consistentWith, 'consistentWith');
  if (position !== undefined) await ctx.readSide.waitFor(projections, position);
}

/** The `consistentWith` argument every read-model query takes. */
export const consistentWithArg = {
  required: false,
  description: 'A `position` from a mutation result: wait (up to 5 s) until this read reflects it.',
} as const;
