import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/database.js';
import { openToolStorage } from '../src/db/storage.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createLogger } from '../src/logger.js';
import { FEATURES, PROJECTIONS } from '../src/features.js';
import { readTransformsOf, upcastersOf } from '../src/services.js';
import { rebuildProjection } from '../src/projections/rebuild.js';

// `npm run projections:rebuild [name]`: rebuilds one projection (or all) from the event log while
// a running server keeps serving the old tables, then swaps them in. Works next to `npm start`
// (it finds the running embedded PostgreSQL) or against DATABASE_URL.
const name = process.argv[2];
const selected = name ? PROJECTIONS.filter((p) => p.name === name) : PROJECTIONS;
if (selected.length === 0) {
  console.error(`unknown projection "${name}"; one of: ${PROJECTIONS.map((p) => p.name).join(', ')}`);
  process.exit(2);
}
const config = loadConfig();
const logger = createLogger(config.logLevel);
const storage = await openToolStorage(config, logger);
const db = connectDatabase(storage.connectionString);
try {
  const eventStore = new EventStore(db, undefined, undefined, {
    upcasters: upcastersOf(FEATURES),
    readTransforms: readTransformsOf(FEATURES, { db, config, logger }),
  });
  for (const projection of selected) {
    const { events, position, ms } = await rebuildProjection(db.pool, eventStore, projection, { logger });
    logger.info({ projection: projection.name, events, position: position.toString(), ms: Math.round(ms) }, 'projection rebuilt');
  }
} finally {
  await db.close();
  await storage.close();
}
