import type { FeatureModule } from '../feature.js';
import { searchProjection } from './searchProjection.js';
import './searchOrdersQuery.js';

/** Search: a full-text index of orders (customer, order id, products), a read model of its own. */
export const searchFeature: FeatureModule = {
  name: 'search',
  projections: [searchProjection],
  liveSources: [],
};
