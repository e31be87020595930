import pRetry from 'p-retry';
import type pg from 'pg';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError, InvalidAppendError } from './errors.js';
import { holdsUnstorableText } from './storableText.js';
import type { AppendedEvent, AppendOutcome, AppendRequest } from './types.js';

/** Where one stream's events landed: consecutive versions ending at `version`, positions from first to last. */
interface StreamReply {
  streamId: string;
  version: number;
  firstPosition: string | null;
  lastPosition: string | null;
}

/**
 * What `ordersource_append` replies for each command. The list of events is there only for a
 * command with an id (its stored outcome keeps the list for repeats, as earlier releases stored
 * it) or one whose positions were not consecutive; otherwise it is rebuilt from the request and
 * each stream's positions.
 */
type ReplyOutcome = Omit<AppendOutcome, 'duplicate' | 'events' | 'streams'> & { streams: StreamReply[]; events?: AppendedEvent[] };
type AppendReply =
  | { status: 'ok' | 'duplicate'; outcome: ReplyOutcome }
  | { status: 'key_reused'; commandId: string }
  | { status: 'conflict'; streamId: string; expectedVersion: number; actualVersion: number };

/** Anything that runs a query: the pool, or a client inside an open transaction. */
export type Queryable = pg.Pool | pg.ClientBase;

// A named statement is parsed and planned once per connection.
const APPEND_STATEMENT = 'ordersource_append';
// Without the list of each command's events (building, sending and parsing it cost about 6 µs an event).
const APPEND_SQL = 'SELECT ordersource_append($1::jsonb, events_in_reply => false) AS replies';

/**
 * Appends several commands' events in one transaction and one round trip (group commit). Each
 * command is checked on its own: a rejected one comes back as its error and writes nothing, the
 * others still commit. Throws only when the statement itself fails (then nothing was written).
 */
export async function appendBatch(db: Queryable, requests: AppendRequest[]): Promise<(AppendOutcome | Error)[]> {
  const payload = JSON.stringify(requests.map(toCommandJson));
  const { rows } = await db.query<{ replies: AppendReply[] }>({ name: APPEND_STATEMENT, text: APPEND_SQL, values: [payload] });
  return rows[0]!.replies.map((reply, i) => toOutcome(reply, requests[i]!));
}

/**
 * Appends events to one or more streams atomically: optimistic concurrency per stream, the
 * idempotency record, global positions and the commit notification, in one round trip. `db` may
 * be a client inside an open transaction; the append then commits with it.
 *
 * @throws ConcurrencyError when a stream is not at its expected version (nothing is written)
 * @throws IdempotencyKeyReusedError when the command id was used with another input
 */
export async function appendToStreams(db: Queryable, request: AppendRequest): Promise<AppendOutcome> {
  validateAppend(request);
  return pRetry(
    async () => {
      const [result] = await appendBatch(db, [request]);
      if (result instanceof Error) throw result;
      return result!;
    },
    // A unique violation means a concurrent append with the same command id committed first;
    // running again reads its stored outcome (or reports the key reuse). Not inside a caller's
    // transaction (a pool client), which the failed statement has aborted.
    { retries: 1, minTimeout: 0, shouldRetry: ({ error }) => isUniqueViolation(error) && !('release' in db) },
  );
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

function toCommandJson(request: AppendRequest) {
  return {
    streams: request.streams,
    metadata: request.metadata ?? {},
    caller: request.idempotency?.caller ?? null,
    commandId: request.idempotency?.commandId ?? null,
    inputHash: request.idempotency?.inputHash ?? null,
    result: request.idempotency?.result ?? null,
  };
}

function toOutcome(reply: AppendReply, request: AppendRequest): AppendOutcome | Error {
  switch (reply.status) {
    case 'ok':
      return { ...withEvents(reply.outcome, request), duplicate: false };
    case 'duplicate':
      // A stored outcome always lists its events (the request repeated may not hold the same ones).
      return { ...withEvents(reply.outcome, request), duplicate: true };
    case 'key_reused':
      return new IdempotencyKeyReusedError();
    case 'conflict':
      return new ConcurrencyError(reply.streamId, reply.expectedVersion, reply.actualVersion);
    default: {
      const unexpected: never = reply;
      return new Error(`unexpected append reply ${JSON.stringify(unexpected)}`);
    }
  }
}

/**
 * The outcome with its events listed: as replied, or rebuilt from the request and each stream's
 * first position (the function lists them itself whenever a stream's positions were not consecutive).
 */
function withEvents(outcome: ReplyOutcome, request: AppendRequest): Omit<AppendOutcome, 'duplicate'> {
  const streams = outcome.streams.map(({ streamId, version }) => ({ streamId, version }));
  if (outcome.events) return { ...outcome, streams, events: outcome.events };
  const events: AppendedEvent[] = [];
  for (const stream of outcome.streams) {
    const appended = request.streams.find((s) => s.streamId === stream.streamId)?.events ?? [];
    if (appended.length === 0) continue;
    const first = BigInt(stream.firstPosition!);
    const firstVersion = stream.version - appended.length + 1;
    appended.forEach((event, i) =>
      events.push({ streamId: stream.streamId, version: firstVersion + i, type: event.type, position: (first + BigInt(i)).toString() }),
    );
  }
  return { ...outcome, streams, events };
}

/**
 * Rejects malformed requests (programming errors) before they reach the database, and before the
 * group committer puts them in a batch: a request carrying text PostgreSQL cannot store would fail
 * the batch's one statement and send every command in it down the one-by-one path.
 */
export function validateAppend(request: AppendRequest): void {
  if (holdsUnstorableText(request))
    throw new InvalidAppendError('the append holds text PostgreSQL cannot store (NUL or an unpaired surrogate)');
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
