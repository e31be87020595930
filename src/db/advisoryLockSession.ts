import pg from 'pg';

/** The lock's session ended (the lock with it): no fault of the work; retried once it is back. */
export class SessionLostError extends Error {
  constructor(holder: string) {
    super(`${holder} lost its database session`);
  }
}

export interface AdvisoryLockOptions {
  /** The advisory lock's first key: one per kind of holder (projections, the deadline timer). */
  namespace: number;
  /** What holds it (a projection's name): hashed into the second key. */
  name: string;
  /** Runs once on each new session, before the lock is tried (session settings). */
  onConnect?: (client: pg.Client) => Promise<void>;
}

/**
 * A session that holds (or, on a standby, keeps trying for) a session-level advisory lock, and on
 * which the holder does its work: its prepared statements stay planned, and it takes no
 * connection from the pool that serves commands and queries. The lock lives as long as the
 * session: when it ends (the process died, the connection was lost), so does this process's claim,
 * and another process takes the work over. Exactly one process holds each lock at a time.
 */
export class AdvisoryLockSession {
  private client?: pg.Client;
  private held = false;

  constructor(
    private readonly connectionString: string,
    private readonly options: AdvisoryLockOptions,
  ) {}

  /** True while this session holds the lock. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Tries to take the lock, connecting first if needed: true when this session now holds it. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const client = this.client ?? (await this.connect());
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
      this.options.namespace,
      this.options.name,
    ]);
    // A standby keeps its session and tries again later.
    this.held = rows[0]!.locked;
    return this.held;
  }

  /** The lock-holding session (work runs only while the lock is held). */
  session(): pg.Client {
    if (!this.client || !this.held) throw new SessionLostError(this.options.name);
    return this.client;
  }

  /** Ends the session, and the lock with it. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<pg.Client> {
    // Bounded connect and TCP keep-alive: during an outage the holder retries instead of hanging,
    // and takes its lock again once the database is back.
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2_000, keepAlive: true });
    client.on('error', () => {});
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.held = false;
    });
    await client.connect();
    await this.options.onConnect?.(client);
    this.client = client;
    return client;
  }
}
