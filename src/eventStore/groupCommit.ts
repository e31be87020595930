import type pg from 'pg';
import { isDatabaseUnavailable } from '../db/database.js';
import { DatabaseGateClosedError, runOutsideDatabaseWork } from '../db/health.js';
import { retry } from '../retry.js';
import { appendBatch, appendToStreams, validateAppend } from './append.js';
import type { AppendOutcome, AppendRequest } from './types.js';

/** One caller's command id (JSON keeps any two distinct pairs distinct). */
const idempotencyKey = ({ caller, commandId }: { caller: string; commandId: string }): string => JSON.stringify([caller, commandId]);

/** An append whose answer was lost is sent again at once, then after each of these pauses (ms). */
const AMBIGUOUS_RECHECK_PAUSES_MS = [250, 750];

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
      await appendToStreams(this.pool, only!.request).then(
        (outcome) => this.resolve(only!, outcome),
        (error: unknown) => (isDatabaseUnavailable(error) ? this.resolveAmbiguous(only!, error) : only!.reject(error)),
      );
      return;
    }
    try {
      const results = await appendBatch(
        this.pool,
        batch.map((p) => p.request),
      );
      const last = lastPositionOf(results.filter((r): r is AppendOutcome => !(r instanceof Error)));
      if (last !== undefined) this.onCommitted(last);
      results.forEach((result, i) => (result instanceof Error ? batch[i]!.reject(result) : batch[i]!.resolve(result)));
    } catch (error) {
      // The connection was lost: the batch may have committed before the answer was lost.
      if (isDatabaseUnavailable(error)) {
        await Promise.all(batch.map((pending) => this.resolveAmbiguous(pending, error)));
        return;
      }
      // The whole batch rolled back (for example a command id raced in from another process):
      // nothing was written, so each command runs again on its own and gets its own answer.
      await Promise.all(batch.map((p) => appendToStreams(this.pool, p.request).then((outcome) => this.resolve(p, outcome), p.reject)));
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
   * it later. An append without a command id cannot be told apart from a new one, so running it
   * again could write it twice: it fails. (Nor is anything ambiguous when the gate refused it.)
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
