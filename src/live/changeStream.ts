import type { Authentication } from '../auth/actor.js';
import { DomainError, UnauthenticatedError } from '../domain/errors.js';
import type { LiveDelivery } from './liveDelivery.js';
import type { ChangeSource } from './liveSource.js';

/** A subscriber fell so far behind that its queue filled up. */
export class SubscriberTooSlowError extends DomainError {
  readonly code = 'SUBSCRIBER_TOO_SLOW';
  constructor(limit: number) {
    super(`more than ${limit} changes were waiting for this subscriber; resubscribe with \`after\` set to the last position received`);
  }
}

/** Per-subscription bound on changes waiting to be sent. */
export const MAX_PENDING_CHANGES = 1_000;

export interface ChangeStreamOptions<C, V> {
  /** Where live changes come from, and the event name to listen to. */
  feed: ChangeSource;
  event: string;
  /** The subscription field the stream serves (named on the live push's trace span). */
  field?: string;
  /** What comes first: the current state, or a replay after a position (read after listening). */
  initial: () => Promise<V[]>;
  /**
   * A live change as a payload value, or undefined to skip it. It should return the same object
   * for the same change (memoize it) so that subscribers with the same operation share one
   * execution in direct delivery.
   */
  map: (change: C) => V | undefined | Promise<V | undefined>;
  /** With a user's token, the stream ends with UNAUTHENTICATED when the token expires. */
  auth?: Authentication;
  /** Where live values go once the subscriber has caught up (graphql-ws); see liveDelivery.ts. */
  delivery?: LiveDelivery;
}

/**
 * The values of `event` on `feed`, in position order: first what `initial` returns (the current
 * state, or a replay after a position), then live changes, with no gap and no duplicate. The
 * listener is attached when this is called, before `initial` runs, so changes committed meanwhile
 * wait in the queue; anything at or below the last delivered position is dropped.
 *
 * Catching up goes through the iterator (GraphQL execution and graphql-ws, one value at a time).
 * Once the queue is empty and the transport asks for the next value (so everything before has been
 * written), a stream with a `delivery` hands live values straight to it: one shared execution and
 * serialisation per change for all subscribers with the same operation, instead of a pipeline of
 * promises and an execution per subscriber. The iterator then stays pending until the stream ends.
 *
 * It ends with SubscriberTooSlowError when more than MAX_PENDING_CHANGES wait (the client resumes
 * with `after`), with UNAUTHENTICATED when the token expires, with the feed's failure (the
 * database away too long: DATABASE_UNAVAILABLE), and at once when the client leaves
 * (`return()` removes the listener even while a `next()` is pending).
 */
export function changeStream<C, V extends { position: bigint }>(options: ChangeStreamOptions<C, V>): AsyncIterableIterator<V> {
  return new ChangeStream(options);
}

class ChangeStream<C, V extends { position: bigint }> implements AsyncIterableIterator<V> {
  /** Live changes not yet taken by the iterator (while catching up). */
  private readonly queue: C[] = [];
  private started = false;
  private replay: V[] = [];
  private last = -1n;
  private direct = false;
  /** Direct deliveries under way, one after the other so that values keep their order. */
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private waiting?: { resolve: (result: IteratorResult<V>) => void; reject: (error: unknown) => void };
  private ended = false;
  private failure?: Error;
  private expiryTimer?: NodeJS.Timeout;
  private readonly listener = (change: C) => this.onChange(change);
  private readonly stopFailureListener?: () => void;

  constructor(private readonly options: ChangeStreamOptions<C, V>) {
    options.feed.on(options.event, this.listener, options.field);
    this.stopFailureListener = options.feed.onFailure?.((error) => this.fail(error));
    const actor = options.auth?.actor;
    const expiresAt = actor?.kind === 'user' ? actor.expiresAt : undefined;
    if (expiresAt !== undefined) {
      const expire = () =>
        this.fail(new UnauthenticatedError('the token has expired; subscribe again with a fresh token (use `after` to resume)'));
      const delay = expiresAt - Date.now();
      if (delay <= 0) expire();
      else this.expiryTimer = setTimeout(expire, Math.min(delay, 2 ** 31 - 1));
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<V> {
    return this;
  }

  async next(): Promise<IteratorResult<V>> {
    if (this.failure) throw this.failure;
    if (this.ended) return { done: true, value: undefined };
    if (!this.started) {
      this.started = true;
      try {
        this.replay = await this.options.initial();
      } finally {
        this.options.delivery?.initialRead?.();
      }
    }
    const value = this.takeReplay() ?? (await this.takeQueued());
    if (this.failure) throw this.failure;
    if (this.ended) return { done: true, value: undefined };
    if (value !== undefined) return { done: false, value };
    // Caught up, and the transport has written everything before: go live.
    if (this.options.delivery) this.direct = true;
    return new Promise<IteratorResult<V>>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<V>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<V>> {
    this.end();
    throw error;
  }

  private takeReplay(): V | undefined {
    while (this.replay.length > 0) {
      const value = this.replay.shift()!;
      if (this.accept(value)) return value;
    }
    return undefined;
  }

  private async takeQueued(): Promise<V | undefined> {
    while (this.queue.length > 0 && !this.ended) {
      const value = await this.options.map(this.queue.shift()!);
      if (value && this.accept(value)) return value;
    }
    return undefined;
  }

  /** Keeps position order: true for a value past the last one delivered. */
  private accept(value: V): boolean {
    if (value.position <= this.last) return false;
    this.last = value.position;
    return true;
  }

  private onChange(change: C): void {
    if (this.ended) return;
    if (this.direct) {
      // Nothing of this subscriber's is under way: deliver now, without a promise, when the value
      // and its shared result are ready (the usual case for every subscriber of a change after the
      // first); only what has to wait joins the chain that keeps the order.
      if (this.inFlight === 0) return this.deliverNow(change);
      this.enqueueDelivery(() => this.options.map(change));
      return;
    }
    this.queue.push(change);
    if (this.queue.length > MAX_PENDING_CHANGES) return this.fail(new SubscriberTooSlowError(MAX_PENDING_CHANGES));
    const waiting = this.waiting;
    if (waiting) {
      // Pending in iterator mode (no delivery): hand the change over.
      this.waiting = undefined;
      this.next().then(waiting.resolve, waiting.reject);
    }
  }

  private deliverNow(change: C): void {
    try {
      const value = this.options.map(change);
      if (isThenable(value)) return this.enqueueDelivery(() => value);
      if (!value || !this.accept(value)) return;
      const sending = this.options.delivery!.send(value);
      if (sending) {
        // Its shared result is still being computed: later changes wait behind this one (nothing
        // else is in the chain, so it starts here).
        this.inFlight++;
        this.tail = Promise.resolve(sending)
          .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))))
          .finally(() => this.inFlight--);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Delivers after everything before it, with the value `map` gives (or gave). */
  private enqueueDelivery(value: () => V | undefined | PromiseLike<V | undefined>): void {
    if (++this.inFlight > MAX_PENDING_CHANGES) return this.fail(new SubscriberTooSlowError(MAX_PENDING_CHANGES));
    this.tail = this.tail.then(() => this.deliver(value));
  }

  private async deliver(mapped: () => V | undefined | PromiseLike<V | undefined>): Promise<void> {
    try {
      const value = await mapped();
      if (value && !this.ended && this.accept(value)) await this.options.delivery!.send(value);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.inFlight--;
    }
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    const waiting = this.waiting;
    this.waiting = undefined;
    this.end();
    waiting?.reject(error);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.options.feed.off(this.options.event, this.listener);
    this.stopFailureListener?.();
    clearTimeout(this.expiryTimer);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ done: true, value: undefined });
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';
