import pRetry from 'p-retry';
import type pg from 'pg';
import { isDatabaseUnavailable } from '../db/database.js';
import { DatabaseGateClosedError } from '../db/health.js';
import { appendToStreams } from './append.js';
import type { AppendedEvent, AppendOutcome, AppendRequest } from './types.js';

/** A look for (or a resend of) an append whose answer was lost is tried again twice, after 250 then 750 ms. */
const AMBIGUOUS_RECHECK_RETRIES = { retries: 2, minTimeout: 250, factor: 3 };

/** How often an append found not committed after a lost answer is sent again before answering DATABASE_UNAVAILABLE. */
const MAX_RESENDS = 2;

/** How long to wait (ms) for the server process that ran an append with a lost answer to end. */
const SESSION_END_WAIT_MS = 1_000;

/** The server process (PostgreSQL backend) a statement was sent to. */
export interface Session {
  pid?: number;
}

/**
 * Whether an append without an idempotency record can be found again after a lost answer: by the
 * command id in its metadata (the server's own when the client gave none) at the stream versions
 * it was to write.
 */
export function isFoundByCommandId(request: AppendRequest): boolean {
  return !request.idempotency && request.metadata?.commandId !== undefined && request.streams.every((s) => s.expectedVersion !== undefined);
}

export interface Pending {
  request: AppendRequest;
  resolve(outcome: AppendOutcome): void;
  reject(error: unknown): void;
}

/**
 * Runs `statement` on a pooled connection, noting in `session` the server process that runs it:
 * if the connection is lost, that process is what decides whether the statement committed.
 */
export async function onConnection<T>(pool: pg.Pool, session: Session, statement: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  session.pid = (client as unknown as { processID?: number | null }).processID ?? undefined;
  let lost: Error | undefined;
  try {
    return await statement(client);
  } catch (error) {
    // A broken connection must not go back to the pool; one that merely ran a failed statement may.
    if (isDatabaseUnavailable(error)) lost = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(lost);
  }
}

/**
 * What the group committer does when the connection is lost after an append was sent: the append
 * may have committed with its answer lost. Settled by sending it again (with an idempotency record)
 * or by looking its events up (by command id), never by writing it twice.
 */
export class LostAnswerRecovery {
  constructor(
    private readonly pool: pg.Pool,
    /** Answers an append that was its own statement (and its own commit notification). */
    private readonly answer: (pending: Pending, outcome: AppendOutcome) => void,
  ) {}

  /** An append found by its command id sent on its own: a lost answer is resolved by looking it up. */
  async appendAlone(pending: Pending, rounds: number): Promise<void> {
    const session: Session = {};
    await onConnection(this.pool, session, (client) => appendToStreams(client, pending.request)).then(
      (outcome) => this.answer(pending, outcome),
      (error: unknown) => (isDatabaseUnavailable(error) ? this.resolveByCommandId(pending, error, session, rounds) : pending.reject(error)),
    );
  }

  /**
   * The connection was lost after an append without an idempotency record was sent (the command
   * id is then the server's own, in the events' metadata, so that nothing is written per command
   * beyond the events themselves). The server process that ran it is ended if it has not ended
   * yet: from then on its transaction has committed or never will. Then the append's events are
   * looked up by stream, version and command id, on a fresh connection (tried for about a second
   * while the database is away): found, the append succeeded and answers so; not found, it never
   * committed, so sending it again is safe and gives its real answer. Only when the database
   * stays away (or the gate says it is, or no connection was made, so nothing was sent) does the
   * caller get DATABASE_UNAVAILABLE.
   */
  async resolveByCommandId(pending: Pending, lost: unknown, session: Session, rounds: number): Promise<void> {
    if (session.pid === undefined || lost instanceof DatabaseGateClosedError) return pending.reject(lost);
    let committed: AppendOutcome | undefined;
    try {
      committed = await pRetry(() => this.committedOutcome(pending.request, session.pid!), {
        ...AMBIGUOUS_RECHECK_RETRIES,
        shouldRetry: ({ error }) => isDatabaseUnavailable(error) && !(error instanceof DatabaseGateClosedError),
      });
    } catch (error) {
      return pending.reject(isDatabaseUnavailable(error) ? lost : error);
    }
    if (committed) return this.answer(pending, committed);
    if (rounds >= MAX_RESENDS) return pending.reject(lost);
    await this.appendAlone(pending, rounds + 1);
  }

  /** The outcome of `request` if its events committed, once the server process `pid` that ran it has ended. */
  private async committedOutcome(request: AppendRequest, pid: number): Promise<AppendOutcome | undefined> {
    const client = await this.pool.connect();
    let lost: Error | undefined;
    try {
      const { rows } = await client.query<{ ended: boolean }>(
        `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1) THEN pg_terminate_backend($1, $2) ELSE true END AS ended`,
        [pid, SESSION_END_WAIT_MS],
      );
      if (!rows[0]!.ended) {
        const { rows: still } = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        // Retried as a connection problem: the answer is not known yet.
        if (still.length > 0)
          throw Object.assign(new Error(`the session that ran an append (pid ${pid}) has not ended`), { code: '08006' });
      }
      const { rows: events } = await client.query<AppendedEvent>(
        `SELECT e.stream_id AS "streamId", e.version, e.type, e.position::text AS position
         FROM unnest($1::text[], $2::int[], $3::int[]) AS s(stream_id, after_version, through_version)
         JOIN events e ON e.stream_id = s.stream_id AND e.version > s.after_version AND e.version <= s.through_version
         WHERE e.metadata->>'commandId' = $4
         ORDER BY e.position`,
        [
          request.streams.map((s) => s.streamId),
          request.streams.map((s) => s.expectedVersion!),
          request.streams.map((s) => s.expectedVersion! + s.events.length),
          request.metadata!.commandId,
        ],
      );
      const expected = request.streams.reduce((n, s) => n + s.events.length, 0);
      if (events.length === 0) return undefined;
      // One transaction wrote all of them or none: anything else is not this append.
      if (events.length !== expected)
        throw new Error(`found ${events.length} of the ${expected} events of command ${request.metadata!.commandId}`);
      return {
        streams: request.streams.map((s) => ({ streamId: s.streamId, version: s.expectedVersion! + s.events.length })),
        events,
        lastPosition: events[events.length - 1]!.position,
        result: null,
        duplicate: false,
      };
    } catch (error) {
      if (isDatabaseUnavailable(error)) lost = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(lost);
    }
  }

  /**
   * The connection was lost after the append was sent: it may have committed, its answer lost.
   * An append with a command id settles that by being sent again: the idempotency record makes a
   * committed one answer as a repeat (its stored outcome), and one that never committed commits
   * now, once. Tried for about a second (a dropped connection to a live database resolves at
   * once); if the database stays away (or the health gate says it is), the caller gets the
   * original error, DATABASE_UNAVAILABLE, and the client's retry with the same commandId settles
   * it later. An append without an idempotency record cannot be told apart from a new one, so
   * running it again could write it twice: it fails, unless its events can be looked up by their
   * command id ({@link LostAnswerRecovery.resolveByCommandId}). (Nor is anything ambiguous when the gate refused it.)
   */
  async resolveAmbiguous(pending: Pending, lost: unknown): Promise<void> {
    if (!pending.request.idempotency || lost instanceof DatabaseGateClosedError) return pending.reject(lost);
    try {
      this.answer(
        pending,
        await pRetry(() => appendToStreams(this.pool, pending.request), {
          ...AMBIGUOUS_RECHECK_RETRIES,
          // The heartbeat saying the database is away (the gate) ends it: waiting would only delay the answer.
          shouldRetry: ({ error }) => isDatabaseUnavailable(error) && !(error instanceof DatabaseGateClosedError),
        }),
      );
    } catch (error) {
      pending.reject(isDatabaseUnavailable(error) ? lost : error);
    }
  }
}
