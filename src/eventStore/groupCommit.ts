import type pg from 'pg';
import { isDatabaseUnavailable } from '../db/database.js';
import { DatabaseGateClosedError, runOutsideDatabaseWork } from '../db/health.js';
import { retry } from '../retry.js';
import { appendBatch, appendToStreams, validateAppend } from './append.js';
import type { AppendedEvent, AppendOutcome, AppendRequest } from './types.js';

/** One caller's command id (JSON keeps any two distinct pairs distinct). */
const idempotencyKey = ({ caller, commandId }: { caller: string; commandId: string }): string => JSON.stringify([caller, commandId]);

/** An append whose answer was lost is sent again at once, then after each of these pauses (ms). */
const AMBIGUOUS_RECHECK_PAUSES_MS = [250, 750];

/** How often an append found not committed after a lost answer is sent again before answering DATABASE_UNAVAILABLE. */
const MAX_RESENDS = 2;

/** How long to wait (ms) for the server process that ran an append with a lost answer to end. */
const SESSION_END_WAIT_MS = 1_000;

/** The server process (PostgreSQL backend) a statement was sent to. */
interface Session {
  pid?: number;
}

/**
 * Whether an append without an idempotency record can be found again after a lost answer: by the
 * command id in its metadata (the server's own when the client gave none) at the stream versions
 * it was to write.
 */
function isFoundByCommandId(request: AppendRequest): boolean {
  return !request.idempotency && request.metadata?.commandId !== undefined && request.streams.every((s) => s.expectedVersion !== undefined);
}

interface Pending {
  request: AppendRequest;
  resolve(outcome: AppendOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit for appends. Appends commit one at a time (that is what keeps positions visible in
 * order), so instead of making concurrent callers queue for the position lock one transaction
 * each, the appends that arrive while a batch is in flight travel together in the next one: one
 * round trip, one lock, one fsync for all of them. A lone caller still goes straight through.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  /** Told the last position of each batch this committer committed, before its callers hear of it. */
  onCommitted: (lastPosition: bigint) => void = () => {};

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { maxInFlight: number; maxBatchEvents: number } = { maxInFlight: 2, maxBatchEvents: 2_000 },
  ) {}

  /** Settles once every batch in flight now has answered; undefined when none is. */
  settled(): Promise<void> | undefined {
    return this.running.size === 0 ? undefined : Promise.allSettled([...this.running]).then(() => {});
  }

  append(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      // Thrown here, it rejects the returned promise; a malformed request never joins a batch.
      validateAppend(request);
      this.queue.push({ request, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      // A batch carries other callers' appends: it belongs to no one execution, so an execution
      // that times out does not cancel it (its own append commits or not, as one statement).
      const running: Promise<void> = runOutsideDatabaseWork(() => this.commit(batch)).finally(() => {
        this.running.delete(running);
        this.inFlight--;
        this.drain();
      });
      this.running.add(running);
    }
  }

  /**
   * Takes queued appends in arrival order into one batch, up to `maxBatchEvents`. Appends that
   * touch a stream or reuse a caller's command id already in the batch wait for the next one: the
   * batch statement checks every command against the state before the batch.
   */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const waiting: Pending[] = [];
    const streams = new Set<string>();
    const commandIds = new Set<string>();
    let events = 0;
    for (const pending of this.queue) {
      const { request } = pending;
      const size = request.streams.reduce((n, s) => n + s.events.length, 0);
      const collides =
        request.streams.some((s) => streams.has(s.streamId)) ||
        (request.idempotency !== undefined && commandIds.has(idempotencyKey(request.idempotency)));
      if (collides || (batch.length > 0 && events + size > this.options.maxBatchEvents)) {
        waiting.push(pending);
        continue;
      }
      batch.push(pending);
      events += size;
      for (const s of request.streams) streams.add(s.streamId);
      if (request.idempotency) commandIds.add(idempotencyKey(request.idempotency));
    }
    this.queue = waiting;
    return batch;
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      if (isFoundByCommandId(only!.request)) return this.appendAlone(only!, 0);
      await appendToStreams(this.pool, only!.request).then(
        (outcome) => this.resolve(only!, outcome),
        (error: unknown) => (isDatabaseUnavailable(error) ? this.resolveAmbiguous(only!, error) : only!.reject(error)),
      );
      return;
    }
    const session: Session = {};
    try {
      const results = await this.onConnection(session, (client) =>
        appendBatch(
          client,
          batch.map((p) => p.request),
        ),
      );
      const last = lastPositionOf(results.filter((r): r is AppendOutcome => !(r instanceof Error)));
      if (last !== undefined) this.onCommitted(last);
      results.forEach((result, i) => (result instanceof Error ? batch[i]!.reject(result) : batch[i]!.resolve(result)));
    } catch (error) {
      // The connection was lost: the batch may have committed before the answer was lost.
      if (isDatabaseUnavailable(error)) {
        await Promise.all(
          batch.map((pending) =>
            isFoundByCommandId(pending.request)
              ? this.resolveByCommandId(pending, error, session, 0)
              : this.resolveAmbiguous(pending, error),
          ),
        );
        return;
      }
      // The whole batch rolled back (for example a command id raced in from another process):
      // nothing was written, so each command runs again on its own and gets its own answer.
      await Promise.all(batch.map((p) => appendToStreams(this.pool, p.request).then((outcome) => this.resolve(p, outcome), p.reject)));
    }
  }

  /**
   * Runs `statement` on a pooled connection, noting in `session` the server process that runs it:
   * if the connection is lost, that process is what decides whether the statement committed.
   */
  private async onConnection<T>(session: Session, statement: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
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

  /** An append found by its command id sent on its own: a lost answer is resolved by looking it up. */
  private async appendAlone(pending: Pending, rounds: number): Promise<void> {
    const session: Session = {};
    await this.onConnection(session, (client) => appendToStreams(client, pending.request)).then(
      (outcome) => this.resolve(pending, outcome),
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
  private async resolveByCommandId(pending: Pending, lost: unknown, session: Session, rounds: number): Promise<void> {
    if (session.pid === undefined || lost instanceof DatabaseGateClosedError) return pending.reject(lost);
    let committed: AppendOutcome | undefined;
    try {
      committed = await retry(() => this.committedOutcome(pending.request, session.pid!), {
        attempts: AMBIGUOUS_RECHECK_PAUSES_MS.length + 1,
        retryIf: (error) => isDatabaseUnavailable(error) && !(error instanceof DatabaseGateClosedError),
        delayMs: (attempt) => AMBIGUOUS_RECHECK_PAUSES_MS[attempt - 1]!,
      });
    } catch (error) {
      return pending.reject(isDatabaseUnavailable(error) ? lost : error);
    }
    if (committed) return this.resolve(pending, committed);
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

  /** Answers one append that was its own statement (and its own commit notification). */
  private resolve(pending: Pending, outcome: AppendOutcome): void {
    const last = lastPositionOf([outcome]);
    if (last !== undefined) this.onCommitted(last);
    pending.resolve(outcome);
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
   * command id ({@link resolveByCommandId}). (Nor is anything ambiguous when the gate refused it.)
   */
  private async resolveAmbiguous(pending: Pending, lost: unknown): Promise<void> {
    if (!pending.request.idempotency || lost instanceof DatabaseGateClosedError) return pending.reject(lost);
    try {
      this.resolve(
        pending,
        await retry(() => appendToStreams(this.pool, pending.request), {
          attempts: AMBIGUOUS_RECHECK_PAUSES_MS.length + 1,
          // The heartbeat saying the database is away (the gate) ends it: waiting would only delay the answer.
          retryIf: (error) => isDatabaseUnavailable(error) && !(error instanceof DatabaseGateClosedError),
          delayMs: (attempt) => AMBIGUOUS_RECHECK_PAUSES_MS[attempt - 1]!,
        }),
      );
    } catch (error) {
      pending.reject(isDatabaseUnavailable(error) ? lost : error);
    }
  }
}

/** The position a batch's commit notification carries: its last event's (none when it wrote nothing). */
function lastPositionOf(outcomes: AppendOutcome[]): bigint | undefined {
  let last: bigint | undefined;
  for (const outcome of outcomes) {
    if (outcome.duplicate) continue;
    for (const event of outcome.events) {
      const position = BigInt(event.position);
      if (last === undefined || position > last) last = position;
    }
  }
  return last;
}
