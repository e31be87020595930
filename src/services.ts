import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { EventStore } from './eventStore/eventStore.js';
import type { LiveFeed } from './live/liveFeed.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import type { ReadSide } from './projections/projections.js';

/** The long-lived parts of a running server, shared by every request. */
export interface Services {
  config: Config;
  logger: Logger;
  db: Database;
  eventStore: EventStore;
  readSide: ReadSide;
  liveFeed: LiveFeed;
  /** This server's Prometheus registry and the service's own metrics (`/metrics`). */
  metrics: Metrics;
}
