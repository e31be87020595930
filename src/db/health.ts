import pg from 'pg';
import { socketOf, type GatedPool } from './gatedPool.js';

/** How often the heartbeat asks the database `SELECT 1`, and how long it may take to answer. */
export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 500, timeoutMs: 1_500 };

/**
 * How long a storage-full error keeps readiness at STORAGE_FULL. Writers retrying (the
 * projections do, every second or so) renew it for as long as the disk stays full; a successful
 * write in between does not end it, as one table may still have room while another cannot grow.
 */
const STORAGE_FULL_HOLD_MS = 5_000;

/** Why requests that need the database cannot be served right now. */
export type DatabaseTrouble = { code: 'DATABASE_UNAVAILABLE' | 'STORAGE_FULL'; message: string };

/**
 * The pool's refusal while the health gate is closed: a connection error (DATABASE_UNAVAILABLE),
 * or SQLSTATE 53100 (STORAGE_FULL) while the database is down for lack of space. Either way
 * nothing was sent.
 */
export class DatabaseGateClosedError extends Error {
  readonly code: '08006' | '53100';

  constructor(message: string, reason: DatabaseTrouble['code'] = 'DATABASE_UNAVAILABLE') {
    super(message);
    this.code = reason === 'STORAGE_FULL' ? '53100' : '08006';
  }
}

/**
 * What the process running the database knows of why it is down (the embedded supervisor: a
 * postmaster that cannot start again for lack of space), or undefined when it knows nothing.
 */
export type ServerTrouble = () => DatabaseTrouble | undefined;

/**
 * The database health gate. A heartbeat on a connection of its own asks `SELECT 1` every
 * `intervalMs`; when no answer comes within `timeoutMs` (a frozen or black-holed server never
 * refuses, it just stops answering), the gate closes: the pool refuses new work at once with a
 * connection error (DATABASE_UNAVAILABLE), and every pooled connection is cut, so statements
 * already waiting on the frozen server fail now rather than after TCP gives up. The heartbeat
 * keeps trying; its first answer opens the gate again and the pool reconnects on demand.
 *
 * It also remembers a recent out-of-space error, for `/ready`, and asks `serverTrouble` (when
 * given) why the database is down: a heartbeat that gets no answer cannot tell a postmaster
 * restarting from one that cannot start because its disk is full, and clients can act on the
 * difference.
 */
export class DatabaseHealth {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private unavailable: DatabaseTrouble | undefined;
  private storageFullAt: number | undefined;
  private readonly clients = new Set<pg.PoolClient>();

  constructor(
    private readonly connectionString: string,
    private readonly pool: GatedPool,
    private readonly options: HeartbeatOptions = DEFAULT_HEARTBEAT,
    private readonly onChange?: (trouble: DatabaseTrouble | undefined) => void,
    private readonly serverTrouble?: ServerTrouble,
  ) {
    pool.on('connect', (client) => this.clients.add(client as pg.PoolClient));
    pool.on('remove', (client) => this.clients.delete(client as pg.PoolClient));
    pool.refusal = () => {
      const closed = this.closed();
      return closed ? new DatabaseGateClosedError(closed.message, closed.code) : undefined;
    };
  }

  /**
   * Why the gate is closed (requests refused before reaching the database), if it is: the
   * server's own account of why it is down first, else the heartbeat's verdict.
   */
  closed(): DatabaseTrouble | undefined {
    return this.serverTrouble?.() ?? this.unavailable;
  }

  /** What keeps requests from being served, if anything (why the gate is closed first). */
  trouble(): DatabaseTrouble | undefined {
    const closed = this.closed();
    if (closed) return closed;
    if (this.storageFullAt !== undefined && Date.now() - this.storageFullAt < STORAGE_FULL_HOLD_MS) {
      return { code: 'STORAGE_FULL', message: 'the database is out of storage space: writes fail until space is freed' };
    }
    return undefined;
  }

  /** A write failed for lack of space. */
  noteStorageFull(): void {
    // Refusals while the server is down for lack of space are no write that failed: counting them
    // would hold STORAGE_FULL for seconds after the server is back.
    if (this.serverTrouble?.()) return;
    this.storageFullAt = Date.now();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.dropClient();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), ms);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const started = Date.now();
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.probe(),
        new Promise((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`the database did not answer its heartbeat within ${this.options.timeoutMs} ms`)),
            this.options.timeoutMs,
          );
        }),
      ]);
      if (this.unavailable) {
        this.unavailable = undefined;
        this.onChange?.(this.trouble());
      }
    } catch (error) {
      this.dropClient();
      if (!this.unavailable && !this.stopped) {
        this.unavailable = { code: 'DATABASE_UNAVAILABLE', message: error instanceof Error ? error.message : String(error) };
        this.cutPooledConnections();
        this.onChange?.(this.trouble());
      }
    } finally {
      clearTimeout(deadline);
    }
    this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started)));
  }

  private async probe(): Promise<void> {
    if (!this.client) {
      const client = new pg.Client({
        connectionString: this.connectionString,
        connectionTimeoutMillis: this.options.timeoutMs,
        keepAlive: true,
      });
      client.on('error', () => this.dropClient());
      this.client = client;
      await client.connect();
    }
    await this.client.query('SELECT 1');
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    socketOf(client)?.destroy();
    client.end().catch(() => {});
  }

  /** Ends every pooled connection: idle ones leave the pool, busy ones fail their statement. */
  private cutPooledConnections(): void {
    for (const client of this.clients) socketOf(client)?.destroy();
  }
}
