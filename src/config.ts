import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The development JWT secret used when `JWT_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_JWT_SECRET = 'ordersource-development-secret-do-not-use-in-production';

/** The development master secret of customers' data keys when `DATA_KEY_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_DATA_KEY_SECRET = 'ordersource-development-data-key-secret-do-not-use-in-production';

const postgresUrl = z
  .string()
  .url('must be a URL such as postgres://user:password@host:5432/database')
  .refine((url) => /^postgres(ql)?:$/.test(new URL(url).protocol), 'must start with postgres:// or postgresql://');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: postgresUrl.optional(),
  READ_DATABASE_URLS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(postgresUrl))
    .optional(),
  READ_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(1).max(3_600_000).default(5_000),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  DB_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1_500),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  STATE_CACHE_STREAMS: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  ORDER_CACHE_ENTRIES: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 key)').optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  DATA_KEY_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (the master key of customers' data keys is derived from it)")
    .optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(5_000),
  CONSISTENCY_MAX_WAITS_PER_REQUEST: z.coerce.number().int().min(1).max(10_000).default(10),
  CONSISTENCY_MAX_WAITS_PER_CLIENT: z.coerce.number().int().min(1).max(1_000_000).default(200),
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(4 * 1024 * 1024),
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(1_000_000).default(100),
  WS_SUBSCRIBES_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(20),
  WS_SUBSCRIBE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
  WS_MAX_STARTING_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(1_000).default(4),
  RUN_PROJECTIONS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  PROJECTIONS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, 'must name at least one projection (leave it unset to run them all)'))
    .optional(),
  REDIS_URL: z
    .string()
    .url('must be a URL such as redis://127.0.0.1:6379')
    .refine((url) => /^rediss?:$/.test(new URL(url).protocol), 'must start with redis:// or rediss://')
    .optional(),
  // Protective limits (README "Configuration"): generous enough that an honest client never meets them.
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1024 * 1024)
    .default(100 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  EXECUTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(1_000).default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(50_000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).default(5_000),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
  RATE_LIMIT_MUTATIONS_PER_MINUTE: z.coerce.number().int().min(0).default(6_000),
  SIGNUP_RATE_PER_HOUR: z.coerce.number().int().min(0).max(1_000_000).default(20),
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  GRAPHIQL: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  READY_MAX_PROJECTION_LAG: z.coerce.number().int().min(0).default(1_000),
  // Up to a year: beyond that a deadline is no deadline, and the timer's arithmetic stays exact.
  PAYMENT_TIMEOUT_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 (off) or more')
    .max(31_536_000, 'must be at most 31536000 (a year)')
    .default(1_800),
  APQ_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  APQ_TTL_SECONDS: z.coerce.number().int().min(1).default(86_400),
  TRUSTED_DOCUMENTS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  TRUSTED_DOCUMENTS_MANIFESTS: z.string().optional(),
});

/** Validated configuration; see README "Configuration". */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** External PostgreSQL; when absent the server starts its embedded one in `dataDir`. */
  databaseUrl?: string;
  /** Streaming replicas of the primary that serve queries and live-feed reads (none: the primary serves). */
  readDatabaseUrls: string[];
  /** A replica replaying more than this far behind the primary is skipped until it catches up. */
  readReplicaMaxLagMs: number;
  dataDir: string;
  dbPoolSize: number;
  /** The health gate closes when the database leaves its heartbeat unanswered this long. */
  dbHeartbeatTimeoutMs: number;
  /** PostgreSQL's `statement_timeout` on the server's pooled connections; 0 for none. */
  dbStatementTimeoutMs: number;
  /** Folded stream states kept in memory per process (most recently used); 0 turns the cache off. */
  stateCacheStreams: number;
  /** Order views (`order(id)`) kept in memory per process, forgotten as batches change them; 0 turns the cache off. */
  orderCacheEntries: number;
  jwt: { secret: string; isDevelopmentSecret: boolean; issuer?: string; audience?: string };
  /** Where the master key that wraps each customer's data key comes from (personal data is encrypted under those). */
  dataKeys: { secret: string; isDevelopmentSecret: boolean };
  logLevel: (typeof logLevels)[number];
  shutdownTimeoutMs: number;
  /** How long a `consistentWith` read waits for the projections before CONSISTENCY_TIMEOUT. */
  consistencyTimeoutMs: number;
  /** Distinct `consistentWith` waits one request may hold at once (aliases of one position share a wait). */
  consistencyMaxWaitsPerRequest: number;
  /** `consistentWith` waits one caller (token subject, or address when anonymous) may hold at once, per process. */
  consistencyMaxWaitsPerClient: number;
  /** A WebSocket with more than this many bytes waiting to be sent is a slow consumer and is closed (1013). */
  wsMaxBufferedBytes: number;
  /** Per WebSocket: open subscriptions, subscribes a second (and at once), first reads in flight. */
  wsSubscriptions: { maxSubscriptions: number; subscribesPerSecond: number; subscribeBurst: number; maxStarting: number };
  /** Whether this process competes to run the projections (false: it only serves; run them elsewhere). */
  runProjections: boolean;
  /**
   * The projections this process competes to run (unset: all of them); the others are left to
   * processes that name them. Checked against the service's projections by `checkProjectionNames`.
   */
  projections?: string[];
  /** With it, projection progress (the live fan-out signal) travels through Redis instead of NOTIFY. */
  redisUrl?: string;
  /** Largest HTTP request body (413 beyond it) and WebSocket message (closed with 1009 beyond it). */
  maxBodyBytes: number;
  /** Node's `requestTimeout` (whole request received) and `headersTimeout`; then 408. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** A query or mutation still running after this is answered EXECUTION_TIMEOUT. */
  executionTimeoutMs: number;
  /** Per-operation bounds enforced by GraphQL Armor during validation. */
  graphqlLimits: { maxDepth: number; maxCost: number; maxAliases: number; maxTokens: number; maxDirectives: number };
  /** Mutations per minute per token subject, and as many per client address; 0 disables. */
  rateLimitMutationsPerMinute: number;
  /** `registerCustomer` calls per client address per hour; 0 disables. */
  signupRatePerHour: number;
  /** Schema introspection (and field suggestions in errors); off in production unless enabled. */
  introspection: boolean;
  /** GraphiQL at GET /graphql; on in development unless disabled. */
  graphiql: boolean;
  /**
   * In production, `/metrics` and the detail of `/ready` answer only `Authorization: Bearer <this>`;
   * without it `/metrics` is not served there. Outside production both are open.
   */
  metricsToken?: string;
  /** `GET /ready` answers 503 while a projection is more than this many log positions behind the head. */
  readyMaxProjectionLag: number;
  /** How long after submission an unpaid order expires and its stock is released; 0 turns deadlines off. */
  paymentTimeoutSeconds: number;
  /** Automatic persisted queries: texts kept per process (LRU), or for how long in Redis when REDIS_URL is set. */
  apq: { maxEntries: number; ttlSeconds: number };
  /** Non-staff callers may run only operations from the manifests (the dashboard's, then these extra files). */
  trustedDocuments: { only: boolean; extraManifests: string[] };
}

/** Thrown with one line per invalid variable, so a bad deployment says exactly what to fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (empty strings count as unset). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const v = parsed.data;
  if (v.PROJECTIONS && v.RUN_PROJECTIONS === 'false') {
    throw new ConfigError(['PROJECTIONS: names projections to run, but RUN_PROJECTIONS=false runs none: set one or the other']);
  }
  if (v.NODE_ENV === 'production' && !v.JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: is required when NODE_ENV=production']);
  }
  if (v.NODE_ENV === 'production' && !v.DATA_KEY_SECRET) {
    throw new ConfigError(['DATA_KEY_SECRET: is required when NODE_ENV=production']);
  }
  return {
    env: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    readDatabaseUrls: v.READ_DATABASE_URLS ?? [],
    readReplicaMaxLagMs: v.READ_REPLICA_MAX_LAG_MS,
    dataDir: path.resolve(v.DATA_DIR),
    dbPoolSize: v.DB_POOL_SIZE,
    dbHeartbeatTimeoutMs: v.DB_HEARTBEAT_TIMEOUT_MS,
    dbStatementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
    stateCacheStreams: v.STATE_CACHE_STREAMS,
    orderCacheEntries: v.ORDER_CACHE_ENTRIES,
    jwt: {
      secret: v.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
      isDevelopmentSecret: !v.JWT_SECRET,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
    dataKeys: { secret: v.DATA_KEY_SECRET ?? DEVELOPMENT_DATA_KEY_SECRET, isDevelopmentSecret: !v.DATA_KEY_SECRET },
    logLevel: v.LOG_LEVEL,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    consistencyTimeoutMs: v.CONSISTENCY_TIMEOUT_MS,
    consistencyMaxWaitsPerRequest: v.CONSISTENCY_MAX_WAITS_PER_REQUEST,
    consistencyMaxWaitsPerClient: v.CONSISTENCY_MAX_WAITS_PER_CLIENT,
    wsMaxBufferedBytes: v.WS_MAX_BUFFERED_BYTES,
    wsSubscriptions: {
      maxSubscriptions: v.WS_MAX_SUBSCRIPTIONS,
      subscribesPerSecond: v.WS_SUBSCRIBES_PER_SECOND,
      subscribeBurst: v.WS_SUBSCRIBE_BURST,
      maxStarting: v.WS_MAX_STARTING_SUBSCRIPTIONS,
    },
    runProjections: v.RUN_PROJECTIONS === 'true',
    projections: v.PROJECTIONS,
    redisUrl: v.REDIS_URL,
    maxBodyBytes: v.MAX_BODY_BYTES,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    // Node requires headersTimeout <= requestTimeout.
    headersTimeoutMs: Math.min(v.HEADERS_TIMEOUT_MS, v.REQUEST_TIMEOUT_MS),
    executionTimeoutMs: v.EXECUTION_TIMEOUT_MS,
    graphqlLimits: {
      maxDepth: v.GRAPHQL_MAX_DEPTH,
      maxCost: v.GRAPHQL_MAX_COST,
      maxAliases: v.GRAPHQL_MAX_ALIASES,
      maxTokens: v.GRAPHQL_MAX_TOKENS,
      maxDirectives: v.GRAPHQL_MAX_DIRECTIVES,
    },
    rateLimitMutationsPerMinute: v.RATE_LIMIT_MUTATIONS_PER_MINUTE,
    signupRatePerHour: v.SIGNUP_RATE_PER_HOUR,
    introspection: v.GRAPHQL_INTROSPECTION ? v.GRAPHQL_INTROSPECTION === 'true' : v.NODE_ENV !== 'production',
    graphiql: v.GRAPHIQL ? v.GRAPHIQL === 'true' : v.NODE_ENV === 'development',
    metricsToken: v.METRICS_TOKEN,
    readyMaxProjectionLag: v.READY_MAX_PROJECTION_LAG,
    paymentTimeoutSeconds: v.PAYMENT_TIMEOUT_SECONDS,
    apq: { maxEntries: v.APQ_MAX_ENTRIES, ttlSeconds: v.APQ_TTL_SECONDS },
    trustedDocuments: {
      only: v.TRUSTED_DOCUMENTS === 'true',
      extraManifests: (v.TRUSTED_DOCUMENTS_MANIFESTS ?? '')
        .split(',')
        .map((file) => file.trim())
        .filter(Boolean)
        .map((file) => path.resolve(file)),
    },
  };
}

/**
 * Checks `PROJECTIONS` against the names of the service's projections (the config alone does not
 * know them): an unknown or misspelt name fails the start instead of leaving a read model unbuilt.
 */
export function checkProjectionNames(config: Pick<Config, 'projections'>, known: readonly string[]): void {
  const unknown = (config.projections ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError([
      `PROJECTIONS: unknown projection ${unknown.map((n) => `"${n}"`).join(', ')}; the projections are ${known.join(', ')}`,
    ]);
  }
}
