import type { FeatureModule } from '../feature.js';
import { searchProjection } from './searchProjection.js';
import { searchOrdersQuery } from './searchOrdersQuery.js';

/** Search: a full-text index of orders (customer, order id, products), a read model of its own. */
export const searchFeature: FeatureModule = {
  name: 'search',
  graphql: searchOrdersQuery,
  projections: [searchProjection],
  liveSources: [],
};
