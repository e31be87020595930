import type { FeatureModule } from '../feature.js';
import { systemQueries } from './systemQueries.js';

/** Questions about the service itself (the log's head), not about a domain. */
export const systemFeature: FeatureModule = { name: 'system', graphql: systemQueries, projections: [], liveSources: [] };
