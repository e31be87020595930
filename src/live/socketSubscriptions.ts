import { GraphQLError } from 'graphql';
import { Turns } from './turns.js';

/** Per-socket bounds on subscriptions (README "Configuration"). */
export interface SocketSubscriptionLimits {
  /** Subscriptions open at once: beyond it a subscribe is TOO_MANY_SUBSCRIPTIONS. */
  maxSubscriptions: number;
  /** Subscribes a second, sustained, and how many may come at once: beyond it RATE_LIMITED. */
  subscribesPerSecond: number;
  subscribeBurst: number;
  /** Subscriptions reading their first state or replay at once; the others wait their turn. */
  maxStarting: number;
}

/** How long a closed socket's subscriptions may take to end per turn of the event loop. */
const TEARDOWN_TURN_MS = 5;

interface Entry {
  /** The subscribe message's payload: tells this subscription from a later one reusing its id. */
  payload: object;
  /** Gives back its starting slot (idempotent). */
  started: () => void;
}

/**
 * One graphql-ws socket's subscriptions, so that no client can make the process serve (or tear
 * down) an unbounded number of them, nor take the pool's connections with their first reads:
 * a cap on open subscriptions, a token bucket on subscribes, a bound on first reads in flight, and
 * a teardown that yields to other work.
 */
export class SocketSubscriptions {
  private readonly open = new Map<string, Entry>();
  private tokens: number;
  private refilledAt: number;
  private readonly startingTurns: Turns;
  private readonly ending: (() => Promise<unknown>)[] = [];
  private endingScheduled = false;

  /**
   * `processTurns`: first reads in flight across every socket of the process, taken after this
   * socket's own turn, so that many sockets (one client's or many) together cannot take the pool.
   */
  constructor(
    private readonly limits: SocketSubscriptionLimits,
    private readonly now: () => number = Date.now,
    private readonly processTurns?: Turns,
  ) {
    this.startingTurns = new Turns(limits.maxStarting);
    this.tokens = limits.subscribeBurst;
    this.refilledAt = now();
  }

  /**
   * Counts a new subscription as open, or answers why it may not be. Synchronous, so the count is
   * exact however many subscribes arrive at once; an error leaves nothing counted.
   */
  admit(id: string, payload: object): GraphQLError | undefined {
    const { maxSubscriptions, subscribesPerSecond } = this.limits;
    if (this.open.size >= maxSubscriptions) {
      return new GraphQLError(`too many subscriptions on this connection: at most ${maxSubscriptions} at once; complete one first`, {
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: maxSubscriptions },
      });
    }
    const retryAfterMs = this.take();
    if (retryAfterMs !== undefined) {
      const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      return new GraphQLError(
        `too many subscribes on this connection: at most ${subscribesPerSecond} a second; retry in ${retryAfterSeconds} s`,
        {
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
        },
      );
    }
    this.open.set(id, { payload, started: () => undefined });
  }

  /**
   * Waits until the subscription may read its first state (at most `maxStarting` of this socket's
   * do at once, so one socket holds at most that many pool connections for them, and no more than
   * the process's turns across sockets), and returns what gives the turns back: call it once the
   * first read is done (or the subscription ended).
   */
  async turnToStart(id: string, payload: object): Promise<() => void> {
    const socketTurn = await this.startingTurns.take();
    const processTurn = this.processTurns && this.open.get(id)?.payload === payload ? await this.processTurns.take() : undefined;
    let done = false;
    const started = () => {
      if (done) return;
      done = true;
      processTurn?.();
      socketTurn();
    };
    const entry = this.open.get(id);
    if (entry?.payload === payload) entry.started = started;
    else started(); // it ended while waiting
    return started;
  }

  /** The subscription's first result went out: whatever it read first, it has read. */
  firstResultSent(id: string, payload: object): void {
    const entry = this.open.get(id);
    if (entry?.payload === payload) entry.started();
  }

  /** The subscription `payload` under `id` ended (completed, failed, or refused). */
  ended(id: string, payload: object): void {
    const entry = this.open.get(id);
    if (entry?.payload !== payload) return;
    entry.started();
    this.open.delete(id);
  }

  /** Whether `id` still names a subscription being served (possibly still ending). */
  has(id: string): boolean {
    return this.open.has(id);
  }

  /**
   * `source`, except that once the socket is gone its end waits for its turn: this socket's
   * subscriptions end one after the other, TEARDOWN_TURN_MS per turn of the event loop, so a client
   * that leaves with thousands of them never holds the process (health checks, other clients)
   * while they all end.
   */
  endingInTurns<T>(source: AsyncIterableIterator<T>, socketGone: () => boolean): AsyncIterableIterator<T> {
    const end = () => source.return?.() ?? Promise.resolve({ done: true as const, value: undefined });
    return {
      next: () => source.next(),
      return: () => (socketGone() ? this.inTurn(end) : end()),
      throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private inTurn<R>(end: () => Promise<R>): Promise<R> {
    return new Promise((resolve, reject) => {
      this.ending.push(() => end().then(resolve, reject));
      if (!this.endingScheduled) {
        this.endingScheduled = true;
        setImmediate(this.endSome);
      }
    });
  }

  // Each end is awaited (its promise chain is most of its cost) before the clock is read again.
  private readonly endSome = async (): Promise<void> => {
    const until = performance.now() + TEARDOWN_TURN_MS;
    while (this.ending.length > 0 && performance.now() < until) await this.ending.shift()!();
    if (this.ending.length > 0) setImmediate(this.endSome);
    else this.endingScheduled = false;
  };

  /** Takes a token, or answers how long until one is back. */
  private take(): number | undefined {
    const { subscribeBurst, subscribesPerSecond } = this.limits;
    const now = this.now();
    this.tokens = Math.min(subscribeBurst, this.tokens + ((now - this.refilledAt) * subscribesPerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return ((1 - this.tokens) * 1000) / subscribesPerSecond;
    this.tokens--;
    return undefined;
  }
}
