import { loadConfig } from '../src/config.js';
import { openToolStorage } from '../src/db/storage.js';
import { createLogger } from '../src/logger.js';

// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded cluster in
// DATA_DIR (started for the purpose and stopped again). The server also does this at start.
const config = loadConfig();
const logger = createLogger(config.logLevel);
const storage = await openToolStorage(config, logger);
await storage.close();
logger.info({ database: storage.kind }, 'database is up to date');
