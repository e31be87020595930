import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/**
 * The database work one GraphQL execution started: the pooled connections it holds, so that an
 * execution answered EXECUTION_TIMEOUT can cancel its statements instead of leaving them running.
 */
export class DatabaseWork {
  readonly clients = new Set<pg.PoolClient>();
  cancelled = false;
}

const currentWork = new AsyncLocalStorage<DatabaseWork>();

/** Runs `fn` with `work` collecting every pooled connection it (and what it awaits) checks out. */
export function runWithDatabaseWork<T>(work: DatabaseWork, fn: () => T): T {
  return currentWork.run(work, fn);
}

/**
 * Runs `fn` outside any execution's work: for shared work started on a request's behalf (a group
 * commit carries other requests' appends too, so cancelling it for one would fail the others).
 */
export function runOutsideDatabaseWork<T>(fn: () => T): T {
  return currentWork.exit(fn);
}

/**
 * A pool that refuses new work at once while the heartbeat says the database does not answer
 * (instead of queueing behind a frozen server until a connect timeout), and that records which
 * execution holds each connection.
 */
export class GatedPool extends pg.Pool {
  /** Set by {@link DatabaseHealth}: the reason to refuse, or undefined to let work through. */
  refusal: () => Error | undefined = () => undefined;
  private readonly owners = new WeakMap<pg.PoolClient, DatabaseWork>();

  constructor(config: pg.PoolConfig) {
    super(config);
    // A connection cut while checked out (by the gate, or by a timed-out execution) emits 'error'
    // on its client; the statement on it fails with that error anyway, and without a listener
    // the event would end the process.
    this.on('connect', (client) => client.on('error', () => {}));
    this.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
      this.owners.get(client)?.clients.delete(client);
      this.owners.delete(client);
    });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | void {
    const work = currentWork.getStore();
    const refusal =
      this.refusal() ??
      (work?.cancelled ? Object.assign(new Error('canceling statement: the operation timed out'), { code: '57014' }) : undefined);
    if (refusal) {
      if (!callback) return Promise.reject(refusal);
      process.nextTick(() => callback(refusal, undefined, () => {}));
      return;
    }
    const track = (client: pg.PoolClient | undefined) => {
      if (!client || !work) return;
      work.clients.add(client);
      this.owners.set(client, work);
    };
    if (!callback) {
      return super.connect().then((client) => {
        track(client);
        return client;
      });
    }
    super.connect((err, client, done) => {
      track(client);
      callback(err, client, done);
    });
  }
}

/** The socket under a pg client (not part of pg's typings, stable across pg 8). */
export function socketOf(client: pg.ClientBase): { destroy(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
}

/**
 * Stops the database work of an execution answered EXECUTION_TIMEOUT: its connections are cut
 * (so none goes back to the pool mid-statement, and its statement fails in this process), their
 * backends are told to cancel what they run (`pg_cancel_backend`, on another connection: a cut
 * alone lets PostgreSQL run on until it next writes to the socket), and its later attempts to
 * connect fail. A statement already committing finishes or not: the command's id says which.
 */
export async function cancelDatabaseWork(pool: pg.Pool, work: DatabaseWork): Promise<void> {
  work.cancelled = true;
  const pids: number[] = [];
  for (const client of work.clients) {
    const pid = (client as unknown as { processID?: number }).processID;
    if (typeof pid === 'number') pids.push(pid);
    socketOf(client)?.destroy();
  }
  if (pids.length === 0) return;
  await runOutsideDatabaseWork(() => pool.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids])).catch(() => {});
}
