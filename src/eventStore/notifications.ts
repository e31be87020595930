import { EventEmitter } from 'node:events';
import pg from 'pg';

export const EVENTS_CHANNEL = 'ordersource_events';
/** Projectors announce `name:position` here after each batch commits. */
export const PROJECTIONS_CHANNEL = 'ordersource_projections';

/**
 * Listens for the commit notification that every append sends (`pg_notify` inside the append
 * transaction, delivered only on commit) and the projectors' progress notifications, and lets
 * readers wait for a position. One dedicated connection per process; it reconnects after the
 * database goes away.
 */
export class CommitNotifier {
  private readonly emitter = new EventEmitter();
  private client?: pg.Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private listenedBefore = false;
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
      else this.announceProjection(message.payload ?? '');
    });
    // Only the current connection may trigger a reconnect; a dead one's late events are ignored.
    const lost = () => {
      if (this.client !== client) return;
      this.listeningNow = false;
      this.scheduleReconnect();
    };
    client.on('error', (error) => {
      this.onError(error);
      lost();
    });
    client.on('end', lost);
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}; LISTEN ${PROJECTIONS_CHANNEL}`);
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

  /** Calls `listener` when a projection commits a batch (in any process); returns the unsubscribe. */
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void {
    this.emitter.on('projection', listener);
    return () => this.emitter.off('projection', listener);
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
    clearTimeout(this.reconnectTimer);
    this.emitter.emit('wake');
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private announce(position: bigint): void {
    if (position > this.latest) this.latest = position;
    this.emitter.emit('commit', position);
  }

  private announceProjection(payload: string): void {
    const at = payload.lastIndexOf(':');
    if (at > 0) this.emitter.emit('projection', payload.slice(0, at), BigInt(payload.slice(at + 1) || '0'));
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.client = undefined;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.start().catch((error: Error) => {
        this.onError(error);
        this.client = undefined;
        this.scheduleReconnect();
      });
    }, 1_000);
  }
}
