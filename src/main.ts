import { startApp } from './app.js';
import { checkProjectionNames, ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './db/database.js';
import { DEFAULT_HEARTBEAT } from './db/health.js';
import { openStorage } from './db/storage.js';
import { FEATURES, PROJECTIONS } from './features.js';
import { redisPersistedQueryStore } from './graphql/persistedQueries.js';
import { createLogger } from './logger.js';
import { startTracing } from './observability/tracing.js';
import { RedisProjectionProgress } from './live/redisProgress.js';
import { createServices, startServices, stopServices } from './services.js';

/** Process entry: config, database, server, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    // Before any database is started, so a misspelt name fails fast like any bad variable.
    checkProjectionNames(
      config,
      PROJECTIONS.map((p) => p.name),
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Before anything that may start a span; off (and nothing loaded) without OTEL_EXPORTER_OTLP_ENDPOINT.
  const tracing = await startTracing();
  if (tracing.enabled) logger.info('OpenTelemetry tracing on: spans are exported over OTLP/HTTP');
  if (config.jwt.isDevelopmentSecret) {
    logger.warn('JWT_SECRET is not set: using the built-in DEVELOPMENT secret. Anyone can mint tokens. Never run like this in production.');
  }
  if (config.dataKeys.isDevelopmentSecret) {
    logger.warn(
      "DATA_KEY_SECRET is not set: customers' personal data is encrypted under keys wrapped by the built-in DEVELOPMENT secret, which anyone can read. Never run like this in production.",
    );
  }

  // Live fan-out signal: PostgreSQL NOTIFY, or Redis when REDIS_URL is set (connected first, so a
  // bad REDIS_URL fails before any database is started).
  const redisProgress = config.redisUrl ? await RedisProjectionProgress.connect(config.redisUrl, logger) : undefined;
  const storage = await openStorage(config, logger);
  const db = connectDatabase(storage.connectionString, {
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    heartbeat: { ...DEFAULT_HEARTBEAT, timeoutMs: config.dbHeartbeatTimeoutMs },
    onError: (err) => logger.warn({ err }, 'database connection error'),
    serverTrouble: storage.trouble,
    onHealthChange: (trouble) =>
      trouble
        ? logger.warn({ trouble }, `database health gate closed: requests answer ${trouble.code}`)
        : logger.info('database health gate open again'),
  });
  const persistedQueryStore = redisProgress ? redisPersistedQueryStore(redisProgress.commands, config.apq.ttlSeconds) : undefined;
  const services = createServices({ config, logger, db, features: FEATURES, progressChannel: redisProgress, persistedQueryStore });
  let app;
  try {
    await startServices(services);
    app = await startApp(services, { port: config.port, host: config.host });
  } catch (error) {
    // Never leave the embedded PostgreSQL running behind a server that failed to start.
    await stopServices(services);
    await redisProgress?.close();
    await db.close();
    await storage.close();
    throw error;
  }
  logger.info({ url: app.url, database: storage.kind }, `Ordersource is listening on ${app.url}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.stop(config.shutdownTimeoutMs);
      await stopServices(services);
      await redisProgress?.close();
      await db.close();
      await storage.close();
      await tracing.shutdown();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Ordersource failed to start:', error);
  process.exit(1);
});
