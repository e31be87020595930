import type { FeatureModule } from '../feature.js';
import { productIntegrationEvents } from './productIntegrationEvents.js';
import { inventoryLiveSource } from './inventoryChanges.js';
import { inventoryProjection } from './inventoryProjection.js';
// The products slice's GraphQL: catalog mutations and queries, the inventory subscription.
import './productMutations.js';
import './productQueries.js';
import './inventorySubscriptions.js';

/** Products: the catalog and stock, the inventory read model and its live changes. */
export const productsFeature: FeatureModule = {
  name: 'products',
  projections: [inventoryProjection],
  integrationEvents: productIntegrationEvents,
  liveSources: [inventoryLiveSource],
};
