import type pg from 'pg';
import { ConcurrencyError, IdempotencyKeyReusedError, InvalidAppendError } from './errors.js';
import type { AppendOutcome, AppendRequest } from './types.js';

/** What `ordersource_append` (prisma/migrations/*_append_function) returns. */
type AppendReply =
  | { status: 'ok' | 'duplicate'; outcome: Omit<AppendOutcome, 'duplicate'> }
  | { status: 'key_reused'; commandId: string }
  | { status: 'conflict'; streamId: string; expectedVersion: number; actualVersion: number };

// A named statement is parsed and planned once per connection.
const APPEND_STATEMENT = 'ordersource_append';
const APPEND_SQL = 'SELECT ordersource_append($1::jsonb) AS reply';

/**
 * Appends events to one or more streams in one transaction and one round trip: optimistic
 * concurrency per stream, the idempotency record, global positions and the commit notification
 * all happen inside the `ordersource_append` SQL function.
 *
 * `pool` may also be a client inside an open transaction; the append then commits with it.
 *
 * @throws ConcurrencyError when a stream is not at its expected version (nothing is written)
 * @throws IdempotencyKeyReusedError when the command id was used with another input
 */
export async function appendToStreams(pool: pg.Pool | pg.ClientBase, request: AppendRequest): Promise<AppendOutcome> {
  validate(request);
  const payload = JSON.stringify({
    streams: request.streams,
    metadata: request.metadata ?? {},
    commandId: request.idempotency?.commandId ?? null,
    inputHash: request.idempotency?.inputHash ?? null,
    result: request.idempotency?.result ?? null,
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await pool.query<{ reply: AppendReply }>({ name: APPEND_STATEMENT, text: APPEND_SQL, values: [payload] });
      return toOutcome(rows[0]!.reply);
    } catch (error) {
      // A unique violation means a concurrent append with the same command id committed first;
      // running again reads its stored outcome (or reports the key reuse).
      if ((error as { code?: string }).code === '23505' && attempt === 1) continue;
      throw error;
    }
  }
}

function toOutcome(reply: AppendReply): AppendOutcome {
  switch (reply.status) {
    case 'ok':
      return { ...reply.outcome, duplicate: false };
    case 'duplicate':
      return { ...reply.outcome, duplicate: true };
    case 'key_reused':
      throw new IdempotencyKeyReusedError(reply.commandId);
    case 'conflict':
      throw new ConcurrencyError(reply.streamId, reply.expectedVersion, reply.actualVersion);
    default: {
      const unexpected: never = reply;
      throw new Error(`unexpected append reply ${JSON.stringify(unexpected)}`);
    }
  }
}

function validate(request: AppendRequest): void {
  const ids = new Set<string>();
  for (const stream of request.streams) {
    if (!stream.streamId) throw new InvalidAppendError('streamId is required');
    if (ids.has(stream.streamId)) throw new InvalidAppendError(`stream ${stream.streamId} appears twice`);
    ids.add(stream.streamId);
    const expected = stream.expectedVersion;
    if (expected !== undefined && (!Number.isInteger(expected) || expected < 0)) {
      throw new InvalidAppendError(`expectedVersion must be a non-negative integer, got ${expected}`);
    }
  }
}
