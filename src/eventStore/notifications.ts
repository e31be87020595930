import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import pg from 'pg';

export const EVENTS_CHANNEL = 'ordersource_events';

/** The pause after a lost connection, and between failed attempts to listen again. */
const RECONNECT_DELAY_MS = 1_000;

/**
 * Listens for the commit notification that every append sends (`pg_notify` inside the append
 * transaction, delivered only on commit), and lets readers wait for a position. One dedicated
 * connection per process; it reconnects after the database goes away. Layers above hear their own
 * channels on the same connection (`listen`), so a process holds one listening connection.
 */
export class CommitNotifier {
  private readonly emitter = new EventEmitter();
  private client?: pg.Client;
  private stopped = false;
  private readonly stopping = new AbortController();
  private reconnecting = false;
  private listenedBefore = false;
  /** Channels besides the commits' that layers above asked to hear. */
  private readonly channels = new Set<string>();
  /** The highest position announced so far. */
  latest = 0n;
  private listeningNow = false;

  /** Whether LISTEN is in place now: while it is not, commits go unheard. */
  get listening(): boolean {
    return this.listeningNow && !this.stopped;
  }

  constructor(
    private readonly connectionString: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** Connects and starts listening; resolves once LISTEN is in place. */
  async start(): Promise<void> {
    // Bounded connect, and TCP keep-alive so that a silently vanished server is noticed too.
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2_000, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) this.announce(BigInt(message.payload ?? '0'));
      else this.emitter.emit(`channel:${message.channel}`, message.payload ?? '');
    });
    // Only the current connection may trigger a reconnect; a dead one's late events are ignored.
    const lost = () => {
      if (this.client !== client) return;
      this.listeningNow = false;
      this.reconnect();
    };
    client.on('error', (error) => {
      this.onError(error);
      lost();
    });
    client.on('end', lost);
    this.client = client;
    try {
      await client.connect();
      await client.query([EVENTS_CHANNEL, ...this.channels].map((channel) => `LISTEN ${channel}`).join('; '));
    } catch (error) {
      this.client = undefined;
      await client.end().catch(() => {});
      throw error;
    }
    this.listeningNow = true;
    // Anything committed while we were not listening is announced by the next append or a poll;
    // wake waiters anyway so they re-check the database.
    this.emitter.emit('wake');
    if (this.listenedBefore) this.emitter.emit('reconnect');
    this.listenedBefore = true;
  }

  /**
   * Calls `listener` each time listening resumes after the connection was lost: notifications
   * sent meanwhile were missed, so whoever relies on them must re-read where things stand.
   */
  onReconnect(listener: () => void): () => void {
    this.emitter.on('reconnect', listener);
    return () => this.emitter.off('reconnect', listener);
  }

  /**
   * Calls `listener` with the payload of each notification on `channel` (a name of letters, digits
   * and underscores), heard on this connection from now on and again after each reconnect; returns
   * the unsubscribe.
   */
  listen(channel: string, listener: (payload: string) => void): () => void {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    if (!this.channels.has(channel)) {
      this.channels.add(channel);
      // Already connected (or connecting: pg queues it): listen now. Listening twice is harmless.
      this.client?.query(`LISTEN ${channel}`).catch((error: Error) => this.onError(error));
    }
    this.emitter.on(`channel:${channel}`, listener);
    return () => this.emitter.off(`channel:${channel}`, listener);
  }

  /** Calls `listener` with each committed position; returns the unsubscribe. */
  onCommit(listener: (position: bigint) => void): () => void {
    this.emitter.on('commit', listener);
    return () => this.emitter.off('commit', listener);
  }

  /**
   * Resolves when a commit at or past `position` is announced, or after `timeoutMs` (the caller
   * re-checks the database either way, so a missed notification only costs one timeout).
   */
  waitFor(position: bigint, timeoutMs: number): Promise<void> {
    if (this.latest >= position) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off('commit', onCommit);
        this.emitter.off('wake', done);
        resolve();
      };
      const onCommit = (p: bigint) => p >= position && done();
      const timer = setTimeout(done, timeoutMs);
      this.emitter.on('commit', onCommit);
      this.emitter.on('wake', done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeningNow = false;
    this.stopping.abort();
    this.emitter.emit('wake');
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private announce(position: bigint): void {
    if (position > this.latest) this.latest = position;
    this.emitter.emit('commit', position);
  }

  /** Listens again after the connection was lost: after a pause, then every second until it works or `stop`. */
  private reconnect(): void {
    if (this.stopped || this.reconnecting) return;
    this.reconnecting = true;
    this.client = undefined;
    const { signal } = this.stopping;
    const attempts = async () => {
      await sleep(RECONNECT_DELAY_MS, undefined, { signal });
      await pRetry(() => this.start(), {
        retries: Infinity,
        factor: 1,
        minTimeout: RECONNECT_DELAY_MS,
        randomize: false,
        signal,
        onFailedAttempt: ({ error }) => this.onError(error),
      });
    };
    attempts()
      .catch(() => {}) // stopped meanwhile
      .finally(() => {
        this.reconnecting = false;
        // Lost again while the last attempt was succeeding: that loss found a reconnect under way.
        if (!this.listeningNow) this.reconnect();
      });
  }
}
