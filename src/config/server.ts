import { z } from 'zod';
import { trueOrFalse, type SettingValues } from './settingTypes.js';

/** The process and its HTTP server: where it listens, how it stops, what development turns on. */
export const serverSettings = {
  PORT: z.coerce.number().int().min(0).max(65535).default(4000).describe('HTTP and WebSocket port (`0` picks a free one)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
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
  GRAPHQL_INTROSPECTION: trueOrFalse
    .optional()
    .meta({ unset: '`false` in production, else `true`' })
    .describe(
      'schema introspection (with it off, no error message suggests a schema name either: no field, argument, type, enum value or input field, from validation or from variables)',
    ),
  GRAPHIQL: trueOrFalse.optional().meta({ unset: '`true` in development, else `false`' }).describe('GraphiQL at `GET /graphql`'),
};

/** The part of `Config` these settings make. */
export function serverConfig(v: SettingValues<typeof serverSettings>) {
  return {
    env: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    introspection: v.GRAPHQL_INTROSPECTION ? v.GRAPHQL_INTROSPECTION === 'true' : v.NODE_ENV !== 'production',
    graphiql: v.GRAPHIQL ? v.GRAPHIQL === 'true' : v.NODE_ENV === 'development',
  };
}
