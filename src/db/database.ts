import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { GatedPool } from './gatedPool.js';
import { DatabaseHealth, DEFAULT_HEARTBEAT, type DatabaseTrouble, type HeartbeatOptions, type ServerTrouble } from './health.js';

/** One pool shared by Prisma (through `@prisma/adapter-pg`) and the few raw `pg` calls. */
export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  connectionString: string;
  /** The health gate: fails requests fast while the database does not answer (see DatabaseHealth). */
  health: DatabaseHealth;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  poolSize?: number;
  /** How long getting a connection may take before the query fails (default 2 s). */
  connectTimeoutMs?: number;
  /** Called for errors on idle pooled connections (for example when the server restarts). */
  onError?: (error: Error) => void;
  /**
   * PostgreSQL's `statement_timeout` for the pool's connections (default none): a backstop that
   * ends any statement running longer, whoever forgot it. Scripts that rebuild leave it off.
   */
  statementTimeoutMs?: number;
  /** The heartbeat behind the health gate; false runs without one (short-lived scripts). */
  heartbeat?: HeartbeatOptions | false;
  /** Told when the gate closes (with why) and opens again (undefined). */
  onHealthChange?: (trouble: DatabaseTrouble | undefined) => void;
  /** Why the database is down, as the process running it knows (the embedded supervisor's `trouble`). */
  serverTrouble?: ServerTrouble;
}

/** Default bound on waiting for a connection (a new one, or a free one from a busy pool). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

/** Opens the pool and the Prisma client for one PostgreSQL database. */
export function connectDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const pool = new GatedPool({
    connectionString,
    max: options.poolSize ?? 20,
    // Fail fast rather than queue when the database is gone or unreachable: a request during an
    // outage answers DATABASE_UNAVAILABLE within this bound, and the pool reconnects by itself
    // once the database is back (a connection broken by the outage is discarded on release).
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    // Every statement we run is short and planned from guessed row counts (jsonb arrays, unnested
    // ids), and those guesses push costs over jit_above_cost: a server with JIT on (Debian's and
    // most managed services') then spends tens of milliseconds compiling each with LLVM. A plain SET
    // on each new connection rather than a startup `options` parameter, because connection poolers
    // such as PgBouncer refuse that parameter; the append and load functions also switch it off
    // themselves, for a pooler in transaction mode that does not keep a session's settings.
    onConnect: (client) => client.query('SET jit = off'),
  });
  pool.on('error', (error) => options.onError?.(error));
  const adapter = new PrismaPg(pool, { onPoolError: options.onError });
  const prisma = new PrismaClient({ adapter });
  const health = new DatabaseHealth(
    connectionString,
    pool,
    options.heartbeat || DEFAULT_HEARTBEAT,
    options.onHealthChange,
    options.serverTrouble,
  );
  if (options.heartbeat !== false) health.start();
  let closed: Promise<void> | undefined;
  return {
    prisma,
    pool,
    connectionString,
    health,
    close() {
      closed ??= health
        .stop()
        .then(() => prisma.$disconnect())
        .then(() => pool.end());
      return closed;
    },
  };
}

// SQLSTATE classes and codes that mean "no database right now" rather than "this query is wrong":
// 08 connection exceptions, 57P01-57P03 shutdown / crash / cannot connect now, 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
// Prisma's codes for the same: cannot reach, timed out, connection closed, pool timeout.
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const UNAVAILABLE_ADAPTER_KIND = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// pg reports a lost or never-made connection with plain messages and no code.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|terminating connection|the database system is (starting up|shutting down|in recovery)|connect ECONNREFUSED/;

/** What the classifiers below read of one error in a chain. */
interface ErrorView {
  code?: string;
  message?: string;
  /** An AggregateError's errors. */
  errors?: unknown;
  /** Prisma's driver adapter error: its kind, and PostgreSQL's SQLSTATE. */
  adapterKind?: string;
  adapterCode?: string;
}

/** `error` and each error it wraps in `cause` (eight at most), as the classifiers read them. */
function* errorChain(error: unknown): Generator<ErrorView> {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const candidate = e as {
      code?: unknown;
      message?: unknown;
      errors?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
    };
    const adapterCause = candidate.meta?.driverAdapterError?.cause;
    yield {
      code: typeof candidate.code === 'string' ? candidate.code : undefined,
      message: typeof candidate.message === 'string' ? candidate.message : undefined,
      errors: candidate.errors,
      adapterKind: adapterCause?.kind,
      adapterCode: adapterCause?.originalCode,
    };
    e = candidate.cause;
  }
}

/**
 * True when `error` (from `pg`, from Prisma through the pg adapter, or anything wrapping one in
 * `cause`) says that the database cannot be reached or dropped the connection, as opposed to a
 * query that failed on a working database. Such failures are transient: the request answers
 * DATABASE_UNAVAILABLE, and background work retries instead of recording a failure.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e.code && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_SOCKET.has(e.code) || UNAVAILABLE_PRISMA.has(e.code))) return true;
    if (e.adapterKind && UNAVAILABLE_ADAPTER_KIND.has(e.adapterKind)) return true;
    if (e.adapterCode && UNAVAILABLE_SQLSTATE.test(e.adapterCode)) return true;
    if (e.message && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    // Node reports a refused connection to a name with several addresses as an AggregateError.
    if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}

// 40P01 deadlock_detected and 40001 serialization_failure: PostgreSQL aborted the transaction so
// that another could go on; the same work can run again.
const WRITE_CONFLICT_SQLSTATE = new Set(['40P01', '40001']);

/**
 * True when `error` (in any of the shapes {@link isDatabaseUnavailable} reads) is a deadlock or
 * serialization failure: the statement did nothing, and running it again will most likely succeed.
 */
export function isWriteConflict(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e.code && (WRITE_CONFLICT_SQLSTATE.has(e.code) || e.code === 'P2034')) return true;
    if (e.adapterCode && WRITE_CONFLICT_SQLSTATE.has(e.adapterCode)) return true;
  }
  return false;
}

// 53100 disk_full, and 53000 insufficient_resources (which PostgreSQL also raises for a failed
// file write); not 53200 out of memory, 53300 too many connections or 53400 configuration limits.
const STORAGE_FULL_SQLSTATE = new Set(['53100', '53000']);
const STORAGE_FULL_MESSAGE = /No space left on device|could not extend file|ENOSPC/;

/**
 * True when `error` (in any of the shapes {@link isDatabaseUnavailable} reads) says the database
 * could not write for lack of storage space. The write did not happen; it can succeed once space
 * is freed. (A WAL write that fails this way PANICs the server instead: its clients then see a
 * lost connection, DATABASE_UNAVAILABLE, until PostgreSQL has restarted.)
 */
export function isStorageFull(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (e.code && (STORAGE_FULL_SQLSTATE.has(e.code) || e.code === 'ENOSPC')) return true;
    if (e.adapterCode && STORAGE_FULL_SQLSTATE.has(e.adapterCode)) return true;
    if (e.message && STORAGE_FULL_MESSAGE.test(e.message)) return true;
  }
  return false;
}
