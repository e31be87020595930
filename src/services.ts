import { checkProjectionNames, type Config } from './config.js';
import type { Database } from './db/database.js';
import { openBackgroundLane } from './db/backgroundLane.js';
import { ReadReplicas } from './db/replicas.js';
import { EventStore } from './eventStore/eventStore.js';
import { createRateLimitStore } from './graphql/security/rateLimitStores.js';
import { EventUpcasters } from './eventStore/upcasting.js';
import type { EventStoreParts, FeatureModule, FeatureProcess } from './feature.js';
import { LiveFeed } from './live/liveFeed.js';
import type { ProjectionProgressSource } from './live/liveSource.js';
import type { Logger } from './logger.js';
import type { GraphQLServerParts } from './graphql/yoga.js';
import { memoryPersistedQueryStore, type PersistedQueryStore } from './graphql/persistedQueries.js';
import { Metrics } from './observability/metrics.js';
import { CHECKPOINT_POSITIONS } from './projections/checkpoints.js';
import type { Projection } from './projections/projection.js';
import type { ProjectionRunner } from './projections/runner.js';
import { ReadSide } from './projections/readSide.js';
import { IntegrationEvents } from './integrationEvents/integrationEvents.js';
import { fanOutProjection } from './reactions/fanOutProjection.js';
import { Reactions } from './reactions/reactions.js';

/**
 * The long-lived parts of a running server: what every request may use and the GraphQL server's own
 * stores (declared by the layer that needs them, `graphql/context.ts` and `graphql/yoga.ts`), with
 * the features the service is made of and their background processes.
 */
export interface Services extends GraphQLServerParts {
  /** A small pool on the primary that requests never take: the projection runners' reads and the live feed's. */
  lane: Database;
  /** The features the service is made of (their GraphQL makes the schema). */
  features: readonly FeatureModule<Services>[];
  /** The features' background processes (started with the projections). */
  processes: readonly FeatureProcess[];
}

/** Where projection progress is announced when PostgreSQL's NOTIFY is not the channel (Redis). */
export interface ProgressChannel extends ProjectionProgressSource {
  publishFrom(runners: readonly ProjectionRunner[]): void;
}

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  db: Database;
  /** The features the service is made of: their projections run and their live changes are pushed. */
  features: readonly FeatureModule<Services>[];
  /** Live fan-out through another channel than PostgreSQL's NOTIFY (Redis, with REDIS_URL). */
  progressChannel?: ProgressChannel;
  /** Default: this process's own bounded LRU. */
  persistedQueryStore?: PersistedQueryStore;
}

/**
 * Wires the generic parts (event store, read side, live feed, metrics) to the features, the same
 * way for the server, the tests and the benchmarks. Nothing is started: see `startServices`.
 */
export function createServices({ config, logger, db, features, progressChannel, persistedQueryStore }: ServiceOptions): Services {
  const integrationEvents = integrationEventsOf(features);
  // A kind its settings leave off has no sender: its targets' messages wait (see ReactionTargetKind.configured).
  const targetKinds = features.flatMap((f) => f.reactionTargets ?? []).filter((kind) => kind.configured?.(config) ?? true);
  const projections = projectionsOf(features);
  checkProjectionNames(
    config,
    projections.map((p) => p.name),
  );
  const metrics = new Metrics(
    db.pool,
    logger,
    projections.map((p) => p.name),
  );
  const eventStore = new EventStore(db, (err) => logger.warn({ err }, 'commit listener error'), metrics.observeAppend, {
    stateCacheStreams: config.stateCacheStreams,
    upcasters: upcastersOf(features),
    readTransforms: readTransformsOf(features, { db, config, logger }),
  });
  const lane = openBackgroundLane(db, {
    poolSize: config.dbBackgroundPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    onError: (err) => logger.warn({ err }, 'background pool connection error'),
  });
  const readSide = new ReadSide({ db, lane, eventStore, logger, consistencyTimeoutMs: config.consistencyTimeoutMs }, projections);
  progressChannel?.publishFrom(readSide.runners);
  // Read-your-writes waits hear progress on the same channel as the live feed.
  if (progressChannel) readSide.consistency.follow(progressChannel);
  metrics.followRebuilds(readSide.runners);
  const replicas = new ReadReplicas(db, config.readDatabaseUrls, {
    maxLagMs: config.readReplicaMaxLagMs,
    replayedPositions: CHECKPOINT_POSITIONS,
    database: {
      poolSize: config.dbPoolSize,
      statementTimeoutMs: config.dbStatementTimeoutMs,
      heartbeat: { intervalMs: 500, timeoutMs: config.dbHeartbeatTimeoutMs },
      onError: (err) => logger.warn({ err }, 'read replica connection error'),
    },
  });
  metrics.followReplicas(replicas);
  const liveFeed = new LiveFeed(
    lane,
    progressChannel ?? readSide.notifications,
    logger,
    features.flatMap((f) => f.liveSources),
    replicas,
  );
  liveFeed.followLocal(readSide);
  const rateLimits = createRateLimitStore(config, db.pool, {
    scope: 'mutations',
    capacity: config.rateLimitMutationsPerMinute,
    windowMs: 60_000,
  });
  const signupLimits = createRateLimitStore(config, db.pool, { scope: 'signups', capacity: config.signupRatePerHour, windowMs: 3_600_000 });
  const services: Services = {
    config,
    logger,
    db,
    lane,
    replicas,
    eventStore,
    readSide,
    liveFeed,
    metrics,
    features,
    rateLimits,
    signupLimits,
    processes: [],
    persistedQueryStore: persistedQueryStore ?? memoryPersistedQueryStore(config.apq.maxEntries, config.apq.maxBytes),
    integrationEvents,
    // Set below: its senders are made from the finished services.
    reactions: undefined as unknown as Reactions,
  };
  services.reactions = new Reactions({
    db,
    progress: readSide.notifications,
    logger,
    registry: metrics.registry,
    options: { ...config.reactions, source: config.eventsSource },
    senders: new Map(targetKinds.map((kind) => [kind.kind, kind.createSender(services)])),
  });
  services.processes = [...features.flatMap((f) => f.processes ?? []).map((factory) => factory.create(services)), services.reactions];
  return services;
}

/** The features' integration event mappings as one registry. */
export function integrationEventsOf(features: readonly FeatureModule[]): IntegrationEvents {
  return new IntegrationEvents(features.flatMap((f) => f.integrationEvents ?? []));
}

/**
 * Every projection of a service made of `features`: theirs, and the fan-out to reaction targets
 * when a feature offers a kind of target (with none, there is nothing to fan out to).
 */
export function projectionsOf(features: readonly FeatureModule[]): Projection[] {
  const kinds = features.flatMap((f) => f.reactionTargets ?? []).map((k) => k.kind);
  return [...features.flatMap((f) => f.projections), ...(kinds.length > 0 ? [fanOutProjection(integrationEventsOf(features), kinds)] : [])];
}

/** The features' upcasters as one registry (for an event store opened outside createServices, e.g. by a script). */
export function upcastersOf(features: readonly FeatureModule[]): EventUpcasters {
  return new EventUpcasters(features.flatMap((f) => f.upcasters ?? []));
}

/** The features' read-path transforms for an event store on `parts` (also for one opened outside createServices). */
export function readTransformsOf(features: readonly FeatureModule[], parts: EventStoreParts) {
  return features.flatMap((f) => f.eventReadTransforms ?? []).map((make) => make(parts));
}

/**
 * Starts listening for commits, the projections (those of PROJECTIONS, or all) and processes (unless
 * RUN_PROJECTIONS=false; one that follows a projection only where that projection runs) and the live feed.
 */
export async function startServices(services: Services): Promise<void> {
  for (const check of services.features.flatMap((f) => f.startupChecks ?? [])) await check.run(services);
  await services.eventStore.start();
  await services.replicas.start();
  if (services.config.runProjections) {
    services.readSide.start(services.config.projections);
    if (services.config.projections)
      services.logger.info({ projections: services.config.projections }, 'PROJECTIONS: this process runs only these');
    const runs = services.config.projections;
    for (const process of services.processes)
      if (!process.followsProjection || !runs || runs.includes(process.followsProjection)) process.start();
      else services.logger.info({ process: process.name }, `${process.name}: left to the processes that run ${process.followsProjection}`);
  } else services.logger.info('RUN_PROJECTIONS=false: this process serves only; another process must run the projections');
  await services.liveFeed.start();
}

/** Stops what `startServices` started (the database itself is the caller's). */
export async function stopServices(services: Services): Promise<void> {
  services.liveFeed.stop();
  await Promise.all(services.processes.map((process) => process.stop()));
  await services.readSide.stop();
  await services.eventStore.stop();
  await services.replicas.stop();
  await Promise.all([services.rateLimits?.close?.(), services.signupLimits?.close?.()]);
  await services.lane.close();
}
