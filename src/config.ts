import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The development JWT secret used when `JWT_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_JWT_SECRET = 'ordersource-development-secret-do-not-use-in-production';

const postgresUrl = z
  .string()
  .url('must be a URL such as postgres://user:password@host:5432/database')
  .refine((url) => /^postgres(ql)?:$/.test(new URL(url).protocol), 'must start with postgres:// or postgresql://');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 key)').optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(5_000),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1_024).default(4 * 1024 * 1024),
  RUN_PROJECTIONS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  REDIS_URL: z.string().url('must be a URL such as redis://127.0.0.1:6379').refine((url) => /^rediss?:$/.test(new URL(url).protocol), 'must start with redis:// or rediss://').optional(),
  GRAPHIQL: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  READY_MAX_PROJECTION_LAG: z.coerce.number().int().min(0).default(1_000),
});

/** Validated configuration; see README "Configuration". */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** External PostgreSQL; when absent the server starts its embedded one in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  dbPoolSize: number;
  jwt: { secret: string; isDevelopmentSecret: boolean; issuer?: string; audience?: string };
  logLevel: (typeof logLevels)[number];
  shutdownTimeoutMs: number;
  /** How long a `consistentWith` read waits for the projections before CONSISTENCY_TIMEOUT. */
  consistencyTimeoutMs: number;
  /** A WebSocket with more than this many bytes waiting to be sent is a slow consumer and is closed (1013). */
  wsMaxBufferedBytes: number;
  /** Whether this process competes to run the projections (false: it only serves; run them elsewhere). */
  runProjections: boolean;
  /** With it, projection progress (the live fan-out signal) travels through Redis instead of NOTIFY. */
  redisUrl?: string;
  /** GraphiQL at GET /graphql; on in development unless disabled. */
  graphiql: boolean;
  /** `GET /ready` answers 503 while a projection is more than this many log positions behind the head. */
  readyMaxProjectionLag: number;
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
  if (v.NODE_ENV === 'production' && !v.JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: is required when NODE_ENV=production']);
  }
  return {
    env: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    dataDir: path.resolve(v.DATA_DIR),
    dbPoolSize: v.DB_POOL_SIZE,
    jwt: {
      secret: v.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
      isDevelopmentSecret: !v.JWT_SECRET,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
    logLevel: v.LOG_LEVEL,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    consistencyTimeoutMs: v.CONSISTENCY_TIMEOUT_MS,
    wsMaxBufferedBytes: v.WS_MAX_BUFFERED_BYTES,
    runProjections: v.RUN_PROJECTIONS === 'true',
    redisUrl: v.REDIS_URL,
    graphiql: v.GRAPHIQL ? v.GRAPHIQL === 'true' : v.NODE_ENV === 'development',
    readyMaxProjectionLag: v.READY_MAX_PROJECTION_LAG,
  };
}
