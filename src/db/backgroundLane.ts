import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Database } from './database.js';
import { GatedPool } from './gatedPool.js';

export interface BackgroundLaneOptions {
  /** Connections in the lane (the projection runners' reads and the live feed's share them). */
  poolSize: number;
  /** PostgreSQL's `statement_timeout` on the lane's connections (default none), as on the request pool. */
  statementTimeoutMs?: number;
  onError?: (error: Error) => void;
}

/**
 * How long background work may wait for one of the lane's connections. Longer than a request's
 * bound: the lane has few users, each holding a connection for one short read, so a wait is a
 * queue that moves, not a sign of an outage (the shared health gate already refuses then).
 */
const LANE_CONNECT_TIMEOUT_MS = 15_000;

/**
 * A second, small pool on `db`'s database for the work that keeps the read side moving: the
 * projection runners' reads of the log and of their checkpoints, and the live feed's reads of the
 * changes it pushes. No request can take these connections, so a load that holds every
 * connection of the request pool (mutations queueing for their commits, thousands of
 * subscriptions reading their first state) delays neither a projection batch nor a push.
 * The lane answers to `db`'s health gate: while the database is away it refuses at once too.
 */
export function openBackgroundLane(db: Database, options: BackgroundLaneOptions): Database {
  const pool = new GatedPool({
    connectionString: db.connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: LANE_CONNECT_TIMEOUT_MS,
    // The health gate cuts the request pool's connections in an outage, not these: TCP keep-alive
    // ends one to a server gone silent, as on the runners' lock sessions.
    keepAlive: true,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    // No LLVM compilation of our short statements, as on the request pool (see connectDatabase).
    onConnect: (client) => client.query('SET jit = off'),
  });
  const gate = db.pool instanceof GatedPool ? db.pool : undefined;
  pool.refusal = () => gate?.refusal();
  pool.on('error', (error) => options.onError?.(error));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { onPoolError: options.onError }) });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    pool,
    connectionString: db.connectionString,
    health: db.health,
    close() {
      closed ??= prisma.$disconnect().then(() => pool.end());
      return closed;
    },
  };
}
