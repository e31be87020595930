import pg from 'pg';

/** Namespace of the projections' advisory locks (the second key is the projection's name hashed). */
const LOCK_NAMESPACE = 20260;

/** The lock's session ended (the lock with it): no fault of the events; retried once it is back. */
export class SessionLostError extends Error {
  constructor(projection: string) {
    super(`projection ${projection} lost its database session`);
  }
}

/**
 * The session that holds (or, on a standby, keeps trying for) a projection's session-level
 * advisory lock, and on which the holder applies its batches: its prepared statements stay planned,
 * and the projection takes no connection from the pool that serves commands and queries. The lock
 * lives as long as the session: when it ends (the process died, the connection was lost), so does
 * this process's claim, and another process's runner takes the projection over.
 */
export class ProjectionLockSession {
  private client?: pg.Client;
  private held = false;

  constructor(
    private readonly connectionString: string,
    private readonly projection: string,
  ) {}

  /** True while this session holds the lock. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Tries to take the lock, connecting first if needed: true when this session now holds it. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const client = this.client ?? (await this.connect());
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [LOCK_NAMESPACE, this.projection]);
    // A standby keeps its session and tries again later.
    this.held = rows[0]!.locked;
    return this.held;
  }

  /** The lock-holding session (batches run only while the lock is held). */
  session(): pg.Client {
    if (!this.client || !this.held) throw new SessionLostError(this.projection);
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
    // Bounded connect and TCP keep-alive: during an outage the runner retries instead of hanging,
    // and takes its lock again once the database is back.
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2_000, keepAlive: true });
    client.on('error', () => {});
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.held = false;
    });
    await client.connect();
    // This session's batches commit without waiting for their WAL flush. Read tables are derived
    // data: checkpoint and rows commit together or not at all, so a database crash can only lose
    // the last few batches whole, and they are applied again from the log, which commits
    // synchronously as always. Saves a flush per batch.
    await client.query('SET synchronous_commit = off');
    this.client = client;
    return client;
  }
}
