import { TooManyConsistencyWaitsError, ValidationError } from '../domain/errors.js';
import type { ReadSide } from '../projections/readSide.js';
import { readPositionReached, waitForReadPosition } from './readRouting.js';
import { clientAddress } from './security/clientAddress.js';
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

/** The waits of one request, by projections and position: aliases of one wait share it. */
const requestWaits = new WeakMap<object, { pending: Map<string, Promise<void>>; active: number }>();
/** Waits in progress per caller, per server (its read side). */
const clientWaits = new WeakMap<ReadSide, Map<string, number>>();

/** Who a wait is counted against: the token's subject, or the client's address when anonymous. */
function callerOf(ctx: GraphQLContext): string {
  const actor = ctx.auth?.actor;
  return actor?.kind === 'user' ? `user:${actor.sub}` : `address:${clientAddress(ctx)}`;
}

/**
 * Read-your-writes for a query field: waits when `consistentWith` is given (bounded, then
 * CONSISTENCY_TIMEOUT). A wait costs no database connection (see ReadModelConsistency), and the
 * number of waits is bounded twice: the fields of one request waiting on the same position share
 * one wait, a request holds at most `consistencyMaxWaitsPerRequest` distinct waits and a caller at
 * most `consistencyMaxWaitsPerClient`; beyond either the field answers TOO_MANY_CONSISTENCY_WAITS
 * at once rather than queueing.
 */
export async function readConsistently(
  ctx: GraphQLContext,
  projections: readonly string[],
  consistentWith: string | null | undefined,
): Promise<void> {
  const position = parsePosition(consistentWith, 'consistentWith');
  if (position === undefined) return;
  if (readPositionReached(ctx, projections, position)) return;
  let request = requestWaits.get(ctx);
  if (!request) requestWaits.set(ctx, (request = { pending: new Map(), active: 0 }));
  const key = `${projections.join(',')}@${position}`;
  let wait = request.pending.get(key);
  if (!wait) {
    wait = startWait(ctx, request, projections, position);
    request.pending.set(key, wait);
  }
  await wait;
}

async function startWait(
  ctx: GraphQLContext,
  request: { active: number },
  projections: readonly string[],
  position: bigint,
): Promise<void> {
  const { consistencyMaxWaitsPerRequest: perRequest, consistencyMaxWaitsPerClient: perClient } = ctx.services.config;
  if (request.active >= perRequest) throw new TooManyConsistencyWaitsError('request', perRequest);
  let clients = clientWaits.get(ctx.services.readSide);
  if (!clients) clientWaits.set(ctx.services.readSide, (clients = new Map()));
  const caller = callerOf(ctx);
  const held = clients.get(caller) ?? 0;
  if (held >= perClient) throw new TooManyConsistencyWaitsError('client', perClient);
  request.active++;
  clients.set(caller, held + 1);
  try {
    // The API only ever returns committed positions: one past the log's head was made up, and
    // waiting for it would only hold the caller for the whole timeout. Retrying cannot help, so
    // it is a validation error, not CONSISTENCY_TIMEOUT.
    if (!(await ctx.services.readSide.consistency.logReaches(position))) {
      throw new ValidationError([
        { path: 'consistentWith', message: 'is beyond the end of the event log: must be a `position` returned by the API' },
      ]);
    }
    // On the database this request reads from: the primary, or a replica that has replayed it.
    await waitForReadPosition(ctx, projections, position);
  } finally {
    request.active--;
    const left = (clients.get(caller) ?? 1) - 1;
    if (left > 0) clients.set(caller, left);
    else clients.delete(caller);
  }
}

/** The `consistentWith` argument every read-model query takes. */
export const consistentWithArg = {
  required: false,
  description: 'A `position` from a mutation result: wait (up to 5 s) until this read reflects it.',
} as const;
