import type { Upcaster } from './eventStore/upcasting.js';
import type { LiveSource } from './live/liveFeed.js';
import type { Projection } from './projections/projection.js';

/**
 * What a feature folder contributes to the service. Each feature exports one of these; the app
 * root (`features.ts`) lists them and `createServices` wires them into the generic parts (the
 * projection runner, the live feed, the GraphQL schema), which never import a feature themselves.
 *
 * A feature's GraphQL types and fields register on the shared Pothos builder when its module is
 * loaded (the module imports its mutation, query and subscription files), so listing the module is
 * what puts it in the schema.
 */
export interface FeatureModule {
  name: string;
  /** The read models it keeps from the log. */
  projections: readonly Projection[];
  /** The changes its projections' committed batches push to live subscribers. */
  liveSources: readonly LiveSource[];
  /**
   * How its events' older stored shapes are brought up to date (`vN -> vN+1`, one per step). An
   * event type's current schema version is one past its last upcaster; none means version 1.
   */
  upcasters?: readonly Upcaster[];
}
