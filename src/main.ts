import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './db/database.js';
import { openStorage } from './db/storage.js';
import { EventStore } from './eventStore/eventStore.js';
import { createLogger } from './logger.js';
import { LiveFeed } from './live/liveFeed.js';
import { RedisProjectionProgress } from './live/redisProgress.js';
import { Metrics } from './observability/metrics.js';
import { ReadSide } from './projections/projections.js';

/** Process entry: config, database, server, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.jwt.isDevelopmentSecret) {
    logger.warn('JWT_SECRET is not set: using the built-in DEVELOPMENT secret. Anyone can mint tokens. Never run like this in production.');
  }

  // Live fan-out signal: PostgreSQL NOTIFY, or Redis when REDIS_URL is set (connected first, so a
  // bad REDIS_URL fails before any database is started).
  const redisProgress = config.redisUrl ? await RedisProjectionProgress.connect(config.redisUrl, logger) : undefined;
  const storage = await openStorage(config, logger);
  const db = connectDatabase(storage.connectionString, {
    poolSize: config.dbPoolSize,
    onError: (err) => logger.warn({ err }, 'database connection error'),
  });
  const metrics = new Metrics(db.pool, logger);
  const eventStore = new EventStore(db, (err) => logger.warn({ err }, 'commit listener error'), metrics.observeAppend, { stateCacheStreams: config.stateCacheStreams });
  const readSide = new ReadSide({ db, eventStore, logger, consistencyTimeoutMs: config.consistencyTimeoutMs });
  redisProgress?.publishFrom(readSide.runners);
  if (redisProgress) readSide.consistency.follow(redisProgress);
  const liveFeed = new LiveFeed(db, redisProgress ?? eventStore.notifier, logger);
  let app;
  try {
    await eventStore.start();
    if (config.runProjections) readSide.start();
    else logger.info('RUN_PROJECTIONS=false: this process serves only; another process must run the projections');
    await liveFeed.start();
    app = await startApp({ config, logger, db, eventStore, readSide, liveFeed, metrics }, { port: config.port, host: config.host });
  } catch (error) {
    // Never leave the embedded PostgreSQL running behind a server that failed to start.
    await readSide.stop();
    await eventStore.stop();
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
      liveFeed.stop();
      await readSide.stop();
      await eventStore.stop();
      await redisProgress?.close();
      await db.close();
      await storage.close();
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
