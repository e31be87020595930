import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { runningEmbeddedPostgres, startEmbeddedPostgres } from './embedded.js';
import type { ServerTrouble } from './health.js';
import { applyMigrations } from './migrations/migrate.js';

/** The database the server uses, migrated and ready. */
export interface Storage {
  connectionString: string;
  /** `embedded` when this process started its own PostgreSQL. */
  kind: 'embedded' | 'external';
  /** Stops the embedded PostgreSQL (nothing to do for an external one). */
  close(): Promise<void>;
  /** Why the embedded PostgreSQL is down, when its supervisor can tell (for the health gate). */
  trouble: ServerTrouble;
}

const EMBEDDED_DATABASE = 'ordersource';

/**
 * Uses `DATABASE_URL` when set; otherwise starts the embedded PostgreSQL in `DATA_DIR`. Either
 * way, pending migrations are applied before the server takes requests.
 */
export async function openStorage(config: Config, logger: Logger): Promise<Storage> {
  if (config.databaseUrl) {
    await migrate(config.databaseUrl, logger);
    return { connectionString: config.databaseUrl, kind: 'external', close: async () => {}, trouble: () => undefined };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger: logger.child({ component: 'embedded-postgres' }) });
  try {
    await createDatabaseIfMissing(embedded.connectionString(), EMBEDDED_DATABASE);
    const connectionString = embedded.connectionString(EMBEDDED_DATABASE);
    await migrate(connectionString, logger);
    return { connectionString, kind: 'embedded', close: () => embedded.stop(), trouble: embedded.trouble };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/**
 * For command-line tools: the server's database. Uses `DATABASE_URL`, else the embedded PostgreSQL
 * of a server running on `DATA_DIR`, else starts the embedded one for the duration.
 */
export async function openToolStorage(config: Config, logger: Logger): Promise<Storage> {
  const running = config.databaseUrl ? undefined : await runningEmbeddedPostgres(config.dataDir, EMBEDDED_DATABASE);
  if (running) {
    await migrate(running, logger);
    return { connectionString: running, kind: 'embedded', close: async () => {}, trouble: () => undefined };
  }
  return openStorage(config, logger);
}

async function migrate(connectionString: string, logger: Logger): Promise<void> {
  const { applied } = await applyMigrations(connectionString);
  if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
}

/** Creates `database` on the server behind `adminConnectionString` unless it exists. */
export async function createDatabaseIfMissing(adminConnectionString: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
