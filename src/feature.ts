import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Builder } from './graphql/builder.js';
import type { GraphiQLExample } from './graphql/graphiql.js';
import type { EventReadTransform } from './eventStore/readTransforms.js';
import type { Upcaster } from './eventStore/upcasting.js';
import type { IntegrationEventMapping } from './integrationEvents/integrationEvents.js';
import type { Logger } from './logger.js';
import type { LiveSource } from './live/liveSource.js';
import type { Projection } from './projections/projection.js';
import type { ReactionTargetKind } from './reactions/reaction.js';

/**
 * A long-running part of a feature that acts on its own (a timer, a process manager), as opposed
 * to answering requests. Built once per service; started and stopped with the projections (a
 * process with RUN_PROJECTIONS=false runs none), so it must see to it itself that only one
 * process does what must be done once (an advisory lock, as the projection runner does).
 */
export interface FeatureProcess {
  readonly name: string;
  /**
   * The projection whose work this process carries on (reactions deliver what the fan-out
   * projection wrote): it starts only in processes that run that projection, so a process given a
   * PROJECTIONS list without it (a command server, say) leaves the work to the one that has it.
   * Unset: every process that runs projections starts it.
   */
  readonly followsProjection?: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Makes a feature's process for one service (several services may share a Node process, as two
 * test servers do, so a process is made per service rather than shared). `S` is the service's
 * parts (`Services`); it is a parameter so that this module needs no import of the service's.
 */
export interface FeatureProcessFactory<S> {
  readonly name: string;
  create(services: S): FeatureProcess;
}

/**
 * What a feature folder contributes to the service. Each feature exports one of these; the app
 * root (`features.ts`) lists them and `createServices` wires them into the generic parts (the
 * projection runner, the live feed, the GraphQL schema), which never import a feature themselves.
 *
 * A feature exports its API: nothing registers itself by being imported, and the schema is built
 * from the features it is given (`buildSchema`), so a schema can hold one feature alone.
 */
export interface FeatureModule<S = unknown> {
  name: string;
  /** Its GraphQL: adds its types, queries, mutations and subscriptions to the schema's builder. */
  graphql?: (builder: Builder) => void;
  /** Its GraphiQL tabs (development): example operations of its API, validated against the schema by a test. */
  examples?: readonly GraphiQLExample[];
  /** The read models it keeps from the log. */
  projections: readonly Projection[];
  /** The changes its projections' committed batches push to live subscribers. */
  liveSources: readonly LiveSource[];
  /**
   * How its events' older stored shapes are brought up to date (`vN -> vN+1`, one per step). An
   * event type's current schema version is one past its last upcaster; none means version 1.
   */
  upcasters?: readonly Upcaster[];
  /** How its events are published to other systems (one mapping per published event type). */
  integrationEvents?: readonly IntegrationEventMapping[];
  /** The kinds of reaction target it offers (webhook endpoints, a broker): where published events go. */
  reactionTargets?: readonly ReactionTargetKind<S>[];
  /** Its background processes, each made from the service's parts. */
  processes?: readonly FeatureProcessFactory<S>[];
  /**
   * Its steps on the event store's read path after upcasting (see readTransforms.ts), each made from
   * the parts an event store is opened with (also by scripts, which have no full service).
   */
  eventReadTransforms?: readonly ((parts: EventStoreParts) => EventReadTransform)[];
  /**
   * Checks run before the service starts anything (a wrong secret, say): a failure stops the start
   * with its message rather than letting the service run on and misread its data. Also where work
   * left unfinished by a crash is completed.
   */
  startupChecks?: readonly StartupCheck<S>[];
}

/** One of a feature's start-up checks (`S` is the service's parts, as for processes). */
export interface StartupCheck<S> {
  readonly name: string;
  run(services: S): Promise<void>;
}

/** What an event store is opened with: what a feature's read transform may use. */
export interface EventStoreParts {
  db: Database;
  config: Config;
  logger: Logger;
}
