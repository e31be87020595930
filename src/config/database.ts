import path from 'node:path';
import { z } from 'zod';
import { commaList, postgresUrl, type SettingValues } from './settingTypes.js';

/** PostgreSQL (the primary, its replicas, the embedded cluster, the pools) and Redis. */
export const databaseSettings = {
  DATABASE_URL: postgresUrl.optional().meta({ unset: '(unset: embedded)' }).describe('external PostgreSQL, `postgres://…`'),
  READ_DATABASE_URLS: commaList
    .pipe(z.array(postgresUrl))
    .optional()
    .describe(
      'comma-separated PostgreSQL streaming replicas of `DATABASE_URL`: queries and live-feed reads go to a healthy one (see [Read replicas](#read-replicas))',
    ),
  READ_REPLICA_MAX_LAG_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(5_000)
    .describe('a replica replaying further behind the primary than this is skipped until it catches up'),
  DATA_DIR: z.string().min(1).default('./data').describe('where the embedded cluster lives'),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20).describe('connections in the pool'),
  DB_BACKGROUND_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(4)
    .describe(
      "connections of a second pool that requests never take: the projection runners' reads (log, checkpoints) and the live feed's reads of what it pushes, so that a load holding every connection of the request pool stalls neither the read models nor the pushes (each runner also applies its batches on its own session)",
    ),
  DB_HEARTBEAT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_500)
    .describe(
      'the health gate closes (requests answer `DATABASE_UNAVAILABLE` at once, pooled connections are cut) when the database leaves its heartbeat (`SELECT 1` every 500 ms, on a connection of its own) unanswered this long; keep it under 2.5 s for the 3 s promise',
    ),
  DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(60_000)
    .describe(
      "PostgreSQL `statement_timeout` on the server's pooled connections, a backstop for any statement that runs away (`EXECUTION_TIMEOUT` already cancels a request's own); `0` for none. The projection runners' own sessions, migrations and `npm run projections:rebuild` run without it",
    ),
  STATE_CACHE_STREAMS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(10_000)
    .describe(
      'folded stream states each process keeps in memory (the most recently used), so a command on a stream it has seen reads only the events since; `0` turns this off (every command reads snapshot and tail)',
    ),
  REDIS_URL: z
    .string()
    .url('must be a URL such as redis://127.0.0.1:6379')
    .refine((url) => /^rediss?:$/.test(new URL(url).protocol), 'must start with redis:// or rediss://')
    .optional()
    .describe('`redis://…`: the live fan-out signal goes through Redis instead of PostgreSQL NOTIFY'),
};

/** The part of `Config` these settings make. */
export function databaseConfig(v: SettingValues<typeof databaseSettings>) {
  return {
    /** Unset: the server starts its embedded PostgreSQL in `dataDir`. */
    databaseUrl: v.DATABASE_URL,
    readDatabaseUrls: v.READ_DATABASE_URLS ?? [],
    readReplicaMaxLagMs: v.READ_REPLICA_MAX_LAG_MS,
    dataDir: path.resolve(v.DATA_DIR),
    dbPoolSize: v.DB_POOL_SIZE,
    /** Connections of the background lane (projection runners' reads, live-feed reads), apart from the request pool. */
    dbBackgroundPoolSize: v.DB_BACKGROUND_POOL_SIZE,
    dbHeartbeatTimeoutMs: v.DB_HEARTBEAT_TIMEOUT_MS,
    dbStatementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
    stateCacheStreams: v.STATE_CACHE_STREAMS,
    redisUrl: v.REDIS_URL,
  };
}
