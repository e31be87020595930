/**
 * Every setting the server reads from its environment, declared once.
 *
 * To add a setting:
 *   1. add one entry to `settings` below: its zod type, its `.default(...)` (or `.optional()`), and a
 *      `.describe('...')` saying what it does, written for the README's reader. When the setting
 *      has no plain default, `.meta({ unset: '...' })` says what happens without it;
 *   2. read it in `toConfig` under the name the code uses (the `Config` type follows from there);
 *   3. run `npm run config:table`, which rewrites the README's configuration table from `settings`
 *      (`tests/configTable.unit.spec.ts` fails while the README's table is stale).
 * Entries appear in the README in the order they are declared here.
 */
import path from 'node:path';
import { z } from 'zod';

declare module 'zod' {
  interface GlobalMeta {
    /** The README's "default" column for a setting without a plain default: what happens when it is unset. */
    unset?: string;
  }
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The development JWT secret used when `JWT_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_JWT_SECRET = 'ordersource-development-secret-do-not-use-in-production';

/** The development master secret of customers' data keys when `DATA_KEY_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_DATA_KEY_SECRET = 'ordersource-development-data-key-secret-do-not-use-in-production';

const postgresUrl = z
  .string()
  .url('must be a URL such as postgres://user:password@host:5432/database')
  .refine((url) => /^postgres(ql)?:$/.test(new URL(url).protocol), 'must start with postgres:// or postgresql://');

const commaList = z.string().transform((list) =>
  list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** `250ms`, `5s`, `2m`, `1h`, `3d` in milliseconds (a whole number and one unit). */
const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const duration = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 250ms, 5s, 2m, 1h or 3d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  });

const trueOrFalse = z.enum(['true', 'false'], { message: 'must be true or false' });

/** The environment variables, in the README's order. */
export const settings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000).describe('HTTP and WebSocket port (`0` picks a free one)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
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
  JWT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (HS256 key)')
    .optional()
    .meta({ unset: 'development secret (logged loudly)' })
    .describe('HS256 key, 32+ characters; required when `NODE_ENV=production`'),
  DATA_KEY_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (the master key of customers' data keys is derived from it)")
    .optional()
    .meta({ unset: 'development secret (logged loudly)' })
    .describe(
      "32+ characters; the master key that wraps every customer's data key is derived from it (HKDF-SHA256); required when `NODE_ENV=production`. A server started with another secret than the stored keys were wrapped with refuses to start",
    ),
  JWT_ISSUER: z.string().min(1).optional().describe("the tokens' issuer (`iss`), checked when set"),
  JWT_AUDIENCE: z.string().min(1).optional().describe("the tokens' audience (`aud`), checked when set"),
  LOG_LEVEL: z.enum(logLevels).default('info').describe('pino level (`silent` … `trace`)'),
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('`production` turns GraphiQL, introspection and "Did you mean …?" suggestions off'),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe('how long in-flight requests may take to finish on SIGTERM/SIGINT'),
  CONSISTENCY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(5_000)
    .describe('how long a `consistentWith` read waits for the projections'),
  CONSISTENCY_MAX_WAITS_PER_REQUEST: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .describe(
      'distinct `consistentWith` waits one operation may hold at once (every field of a request waiting on the same position shares one wait); beyond it the field answers `TOO_MANY_CONSISTENCY_WAITS` (`scope: request`)',
    ),
  CONSISTENCY_MAX_WAITS_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200)
    .describe(
      '`consistentWith` waits one caller (token subject, or client address when anonymous) may hold at once, per process; beyond it the field answers `TOO_MANY_CONSISTENCY_WAITS` (`scope: client`) at once instead of queueing',
    ),
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(4 * 1024 * 1024)
    .describe('unsent bytes after which a WebSocket is closed as a slow consumer (1013)'),
  WS_MAX_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe(
      'subscriptions one WebSocket may hold open at once; beyond it a subscribe gets an error with `TOO_MANY_SUBSCRIPTIONS` (the socket and its other subscriptions go on)',
    ),
  WS_SUBSCRIBES_PER_SECOND: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(20)
    .describe(
      'subscribes per WebSocket: a token bucket of `WS_SUBSCRIBE_BURST` refilled at this rate (a client resubscribing its whole cap after a reconnect fits); beyond it `RATE_LIMITED` with `retryAfterSeconds`, whether or not the earlier ones were already completed',
    ),
  WS_SUBSCRIBE_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe('subscribes one WebSocket may make at once before `WS_SUBSCRIBES_PER_SECOND` paces it'),
  WS_MAX_STARTING_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(4)
    .describe(
      'subscriptions of one WebSocket reading their first state or replay at once (each takes a pool connection); the others wait their turn',
    ),
  WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(8)
    .describe(
      "subscriptions reading their first state or replay at once across all of a process's WebSockets, so that many sockets together (one client's or many) cannot take the pool; the others wait their turn",
    ),
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(50)
    .describe(
      "WebSockets one client address may hold open at once; one more is closed with code `4429`. The address is the peer's: behind a proxy, the proxy's",
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
  ORDER_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(10_000)
    .describe(
      "order views each process keeps in memory for `order(id)` (and `orderHistory`'s visibility check); each is forgotten when an orders projection batch changes its order, and reads go to the read tables until this process has forgotten what every batch it heard of changed, so `consistentWith` holds; `0` turns this off",
    ),
  SEARCH_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(1_000)
    .describe(
      "`searchOrders` pages each process keeps in memory (per query, caller's scope and page); all are forgotten whenever a batch of the search or orders projection is heard of, so `consistentWith` holds; `0` turns this off",
    ),
  RUN_PROJECTIONS: trueOrFalse
    .default('true')
    .describe(
      '`false`: this process only serves (queries still wait on, and subscriptions still push, the projections another process runs; it fires no payment deadlines and delivers no webhooks, bus messages or emails either)',
    ),
  PROJECTIONS: commaList
    .pipe(z.array(z.string()).min(1, 'must name at least one projection (leave it unset to run them all)'))
    .optional()
    .meta({ unset: 'unset (all)' })
    .describe(
      'comma-separated names of the projections this process competes to run (`orders`, `orderCounts`, `paymentDeadlines`, `customers`, `inventory`, `sales`, `search`, and `reactions`, the fan-out to webhooks, the event bus and customer emails); the others are left to processes that name them, so heavy read models can run in a process of their own (reads wait on whichever process runs the projection they need). An unknown name stops the start; not allowed with `RUN_PROJECTIONS=false`',
    ),
  REDIS_URL: z
    .string()
    .url('must be a URL such as redis://127.0.0.1:6379')
    .refine((url) => /^rediss?:$/.test(new URL(url).protocol), 'must start with redis:// or rediss://')
    .optional()
    .describe('`redis://…`: the live fan-out signal goes through Redis instead of PostgreSQL NOTIFY'),
  // Up to a year: beyond that a deadline is no deadline, and the timer's arithmetic stays exact.
  PAYMENT_TIMEOUT_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 (off) or more')
    .max(31_536_000, 'must be at most 31536000 (a year)')
    .default(1_800)
    .describe(
      'how long after submission an unpaid order expires and its stock is released (0 to 31536000); `0` turns payment deadlines off',
    ),
  // Amounts are whole cents everywhere in the API; the currency only labels them on the dashboard.
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR or USD')
    .default('EUR')
    .describe('the ISO 4217 currency the dashboard shows amounts in (the API itself speaks cents only)'),
  READY_MAX_PROJECTION_LAG: z.coerce
    .number()
    .int()
    .min(0)
    .default(1_000)
    .describe('`GET /ready` answers 503 while a projection is more log positions than this behind the head'),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .meta({ unset: 'unset (production: `/metrics` not served)' })
    .describe(
      'in production, `/metrics` and the detail of `/ready` answer only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise; `/ready` without it answers `{"ready": true|false}` alone, for load balancers). Unset in production: `/metrics` answers 404. Outside production both are open',
    ),
  GRAPHQL_INTROSPECTION: trueOrFalse
    .optional()
    .meta({ unset: '`false` in production, else `true`' })
    .describe(
      'schema introspection (with it off, no error message suggests a schema name either: no field, argument, type, enum value or input field, from validation or from variables)',
    ),
  GRAPHIQL: trueOrFalse.optional().meta({ unset: '`true` in development, else `false`' }).describe('GraphiQL at `GET /graphql`'),
  // Protective limits: generous enough that an honest client never meets them.
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1024 * 1024)
    .default(100 * 1024)
    .describe(
      'largest request body (413 `REQUEST_ENTITY_TOO_LARGE`, also for chunked bodies, with `Connection: close`) and WebSocket message (closed with 1009)',
    ),
  REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('time a client has to send its whole request (then 408)'),
  HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(10_000)
    .describe('time a client has to send its headers (then 408); at most `REQUEST_TIMEOUT_MS`'),
  EXECUTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('a query or mutation still running after this answers `EXECUTION_TIMEOUT` (subscriptions are exempt)'),
  GRAPHQL_MAX_DEPTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(12)
    .describe('selection depth (fragments do not count as a level): `QUERY_TOO_DEEP`'),
  GRAPHQL_MAX_COST: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe(
      "the estimated cost (`src/graphql/security/operationCost.ts`: GraphQL Armor's weights, each connection and `Order.history` multiplied by its `first`/`last`, when absent by 20 (`Order.history`: by 100, the entries it returns unasked) and by 100 when given by a variable without a default; `orderAt` adds 1,000 as it folds events; a full `orders(first: 100)` page with items and `history(first: 10)` fits, the same page with each order's first 100 history entries does not): `QUERY_TOO_COSTLY`",
    ),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30).describe('aliases per operation: `TOO_MANY_ALIASES`'),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).default(5_000).describe('lexical tokens per document: `TOO_MANY_TOKENS`'),
  GRAPHQL_MAX_DIRECTIVES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(50)
    .describe('directives per operation: `TOO_MANY_DIRECTIVES`'),
  RATE_LIMIT_MUTATIONS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(6_000)
    .describe(
      "mutations per minute per token subject and, for anonymous and customer callers (identities anyone can make by signing up), as many per client address too, so fresh sign-ups bring no fresh allowance (staff, admin and payments tokens count per subject only): 100 a second sustained, bursts up to the whole minute's allowance, so a busy checkout client never meets it; past it `RATE_LIMITED` (HTTP 429). Behind a proxy every client has the proxy's address: raise it there. `0` turns it off. Shared by every server process: the buckets live in Redis when `REDIS_URL` is set (one atomic script per mutation), else in PostgreSQL (one UPSERT on the UNLOGGED `rate_limit_buckets`); if that store cannot answer, the mutation is let through and a warning logged",
    ),
  MAX_OPEN_ORDERS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(5)
    .describe(
      'unpaid submitted orders one customer may have at once; one more `submitOrder` answers `TOO_MANY_OPEN_ORDERS` (staff submitting are not bound); `0` turns the cap off',
    ),
  MAX_RESERVED_UNITS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .default(1_000)
    .describe(
      "units one customer's submitted orders (unpaid, or paid and not yet shipped) may hold reserved at once; a `submitOrder` that would pass it answers `TOO_MANY_RESERVED_UNITS` (staff submitting are not bound); `0` turns the cap off",
    ),
  SIGNUP_RATE_PER_HOUR: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(20)
    .describe(
      '`registerCustomer` calls per client address per hour (a burst of that many, refilled over the hour); past it `RATE_LIMITED` (a `RateLimitedError` with `retryAfterSeconds`). Kept where the mutation limit keeps its buckets; `0` turns it off',
    ),
  APQ_MAX_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1_000)
    .describe('automatic persisted queries: texts each process keeps (least recently used dropped first)'),
  APQ_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024 * 1024)
    .default(5 * 1024 * 1024)
    .describe(
      'automatic persisted queries: bytes of text each process keeps (least recently used dropped first; a text larger than this is not kept). Only texts that parsed and passed validation are kept',
    ),
  APQ_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(86_400)
    .describe('with `REDIS_URL`: the texts live in Redis, shared by every process, for this long after their last registration'),
  TRUSTED_DOCUMENTS: trueOrFalse
    .default('false')
    .describe(
      '`true`: callers that are not staff may run only operations from the manifests, by hash (`TRUSTED_DOCUMENT_REQUIRED` otherwise)',
    ),
  TRUSTED_DOCUMENTS_MANIFESTS: z
    .string()
    .optional()
    .describe("comma-separated paths of more manifests (a frontend team's), added to the dashboard's"),
  EVENTS_SOURCE: z.string().min(1).default('urn:ordersource').describe('the CloudEvents `source` of every integration event'),
  REACTION_RETRY_SCHEDULE: z
    .string()
    .default('5s,30s,2m,10m,30m,1h,2h,4h,8h,8h')
    .transform((list) => list.split(','))
    .pipe(z.array(duration).max(100, 'must list at most 100 delays'))
    .describe(
      'delays between the attempts of one message (`ms`, `s`, `m`, `h`, `d`): the first attempt, then one retry after each (each spread by up to a fifth either way), then it is `DEAD`; the default spans about a day',
    ),
  REACTION_DISABLE_AFTER: z
    .string()
    .default('3d')
    .pipe(duration)
    .describe(
      'a target (webhook endpoint) that has failed every attempt for this long is disabled, with `disabledReason`; enabling it resumes where it stopped',
    ),
  REACTION_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(8)
    .describe(
      "streams of one target attempted at once (each process claims at most this many, and no more than the target's free slots across processes); the event bus, a broker built for the load, takes 64 regardless",
    ),
  WEBHOOK_ALLOWED_HOSTS: commaList
    .pipe(z.array(z.string().toLowerCase()))
    .optional()
    .describe(
      'comma-separated hosts or addresses a webhook endpoint may use although they are loopback or private, and over `http` even in production (how tests and private networks opt in)',
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('an attempt at a webhook not answered within this long fails and is retried'),
  EVENT_BUS_URL: z
    .string()
    .url('must be a URL such as nats://127.0.0.1:4222')
    .refine((url) => new URL(url).protocol === 'nats:', 'must start with nats://')
    .optional()
    .meta({ unset: 'unset (bus off)' })
    .describe(
      '`nats://host:port`: publish every integration event to a NATS JetStream stream (see [Event bus](#event-bus-nats-jetstream))',
    ),
  // A JetStream stream name: no spaces, dots, wildcards or path separators.
  EVENT_BUS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .default('ORDERSOURCE')
    .describe('the JetStream stream published to; created with subjects `ordersource.>` when absent'),
  SMTP_URL: z
    .string()
    .url('must be a URL such as smtp://user:password@mail.example.com:587')
    .refine((url) => /^smtps?:$/.test(new URL(url).protocol), 'must start with smtp:// or smtps://')
    .optional()
    .meta({ unset: 'unset (emails off)' })
    .describe(
      '`smtp://user:password@host:port` or `smtps://…`: email customers about their orders (see [Customer emails](#customer-emails))',
    ),
  MAIL_FROM: z
    .string()
    .trim()
    .regex(/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/, 'must be an address such as orders@shop.example or Shop <orders@shop.example>')
    .optional()
    .describe(
      "the From of customers' emails, e.g. `Shop <orders@shop.example>`; required with `SMTP_URL`; its domain ends every Message-ID",
    ),
});

/** The parsed environment, before it takes the shape the code reads. */
type Settings = z.output<typeof settings>;

/** The shape the code reads: grouped where settings belong together, with the defaults that depend on others filled in. */
function toConfig(v: Settings) {
  return {
    env: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
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
    orderCacheEntries: v.ORDER_CACHE_ENTRIES,
    searchCacheEntries: v.SEARCH_CACHE_ENTRIES,
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
      maxStartingPerProcess: v.WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS,
    },
    wsMaxConnectionsPerAddress: v.WS_MAX_CONNECTIONS_PER_ADDRESS,
    runProjections: v.RUN_PROJECTIONS === 'true',
    /** Unset: all of them. Checked against the service's projections by `checkProjectionNames`. */
    projections: v.PROJECTIONS,
    redisUrl: v.REDIS_URL,
    maxBodyBytes: v.MAX_BODY_BYTES,
    currency: v.CURRENCY,
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
    /** `registerCustomer` calls per client address per hour; 0 turns the limit off. */
    signupRatePerHour: v.SIGNUP_RATE_PER_HOUR,
    /** Per customer (0: no cap): unpaid submitted orders, and units their submitted orders hold reserved. */
    maxOpenOrdersPerCustomer: v.MAX_OPEN_ORDERS_PER_CUSTOMER,
    maxReservedUnitsPerCustomer: v.MAX_RESERVED_UNITS_PER_CUSTOMER,
    introspection: v.GRAPHQL_INTROSPECTION ? v.GRAPHQL_INTROSPECTION === 'true' : v.NODE_ENV !== 'production',
    graphiql: v.GRAPHIQL ? v.GRAPHIQL === 'true' : v.NODE_ENV === 'development',
    readyMaxProjectionLag: v.READY_MAX_PROJECTION_LAG,
    /** In production, what `/metrics` and the detail of `/ready` require as a bearer token (unset: not served). */
    metricsToken: v.METRICS_TOKEN,
    paymentTimeoutSeconds: v.PAYMENT_TIMEOUT_SECONDS,
    apq: { maxEntries: v.APQ_MAX_ENTRIES, maxBytes: v.APQ_MAX_BYTES, ttlSeconds: v.APQ_TTL_SECONDS },
    trustedDocuments: {
      only: v.TRUSTED_DOCUMENTS === 'true',
      extraManifests: (v.TRUSTED_DOCUMENTS_MANIFESTS ?? '')
        .split(',')
        .map((file) => file.trim())
        .filter(Boolean)
        .map((file) => path.resolve(file)),
    },
    eventsSource: v.EVENTS_SOURCE,
    reactions: {
      retryScheduleMs: v.REACTION_RETRY_SCHEDULE,
      disableAfterMs: v.REACTION_DISABLE_AFTER,
      concurrency: v.REACTION_CONCURRENCY,
    },
    webhooks: { allowedHosts: v.WEBHOOK_ALLOWED_HOSTS ?? [], timeoutMs: v.WEBHOOK_TIMEOUT_MS },
    /** With `url`, every integration event is published to the JetStream stream `stream` (created when absent). */
    eventBus: { url: v.EVENT_BUS_URL, stream: v.EVENT_BUS_STREAM },
    /** With `smtpUrl`, customers are emailed about their orders, from `from`. */
    mail: { smtpUrl: v.SMTP_URL, from: v.MAIL_FROM },
  };
}

/** Fields that may be `undefined` become optional ones, so a test can write a config part without them. */
type OptionalWhenUndefined<T> = T extends readonly unknown[] | string | number | boolean
  ? T
  : { [K in keyof T as undefined extends T[K] ? K : never]?: OptionalWhenUndefined<Exclude<T[K], undefined>> } & {
      [K in keyof T as undefined extends T[K] ? never : K]: OptionalWhenUndefined<T[K]>;
    };

/** Validated configuration: what each field means is the `.describe()` of the setting it is read from. */
export type Config = OptionalWhenUndefined<ReturnType<typeof toConfig>>;

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
  const parsed = settings.safeParse(present);
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
  if (v.SMTP_URL && !v.MAIL_FROM) {
    throw new ConfigError(["MAIL_FROM: is required when SMTP_URL is set (the address customers' emails come from)"]);
  }
  return toConfig(v);
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
