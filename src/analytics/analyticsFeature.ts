import type { FeatureModule } from '../feature.js';
import { salesProjection } from './salesProjection.js';
import { salesStatsQuery } from './salesStatsQuery.js';

/** Analytics: sales figures per bucket of time, a read model of the order events of its own. */
export const analyticsFeature: FeatureModule = {
  name: 'analytics',
  graphql: salesStatsQuery,
  projections: [salesProjection],
  liveSources: [],
};
