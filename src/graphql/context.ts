import type { Authentication } from '../auth/actor.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ReadReplicas } from '../db/replicas.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { IntegrationEvents } from '../integrationEvents/integrationEvents.js';
import type { LiveDelivery } from '../live/liveDelivery.js';
import type { LiveFeed } from '../live/liveFeed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReadSide } from '../projections/readSide.js';
import type { Reactions } from '../reactions/reactions.js';
import type { RateLimitStore } from './security/rateLimitStores.js';

/**
 * The long-lived parts a request may use. The composition root (`src/services.ts`) builds them;
 * this layer only says what it needs, so it never imports the root.
 */
export interface RequestServices {
  config: Config;
  logger: Logger;
  /** The primary: commands, their loads, projections, deadlines and rebuilds. */
  db: Database;
  /** Streaming replicas serving queries and live-feed reads (none configured: the primary serves). */
  replicas: ReadReplicas;
  eventStore: EventStore;
  readSide: ReadSide;
  liveFeed: LiveFeed;
  /** This server's Prometheus registry and the service's own metrics (`/metrics`). */
  metrics: Metrics;
  /** The features' integration events (the public form of the events other systems receive). */
  integrationEvents: IntegrationEvents;
  /** Deliveries to the reaction targets: what their admin API redelivers, enables and pokes. */
  reactions: Reactions;
  /** Where the sign-up limit's buckets (one per client address) live, shared by every process (absent when off). */
  signupLimits?: RateLimitStore;
}

/** What every resolver receives: the request's logger and id, who calls, and the shared services. */
export interface GraphQLContext {
  services: RequestServices;
  /** Quoted in answers and logs: the caller's `x-request-id` (capped), else `correlationId`. */
  requestId: string;
  /** Ours, never the caller's: what the events this request appends carry as their correlation id. */
  correlationId: string;
  log: Logger;
  /** Who is calling (from `Authorization` or graphql-ws `connectionParams.authorization`). */
  auth: Authentication;
  /** Over graphql-ws: where a subscription's live values go once it has caught up. */
  liveDelivery?: LiveDelivery;
}
