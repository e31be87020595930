import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/database.js';
import { FEATURES } from '../../src/features.js';
import { createGraphQLServer } from '../../src/graphql/yoga.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/services.js';

/**
 * The whole GraphQL server in process, for what needs no database (parsing, validation, limits,
 * masking, auth refusals): call `yoga.fetch(...)`, no port and no PostgreSQL. Its pool points at a
 * database that does not exist and is never connected unless a resolver reads, which then fails
 * like an outage (DATABASE_UNAVAILABLE).
 */
export function inProcessServer(env: Record<string, string> = {}) {
  const config = loadConfig({
    JWT_SECRET: 'in-process-test-secret-of-32-characters',
    DATA_KEY_SECRET: 'in-process-data-key-secret-of-32-chars',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const db = connectDatabase('postgres://nobody:nothing@127.0.0.1:1/nowhere', { poolSize: 1 });
  const services = createServices({ config, logger, db, features: FEATURES });
  return { yoga: createGraphQLServer(services), services, close: () => db.close() };
}
