import type { FeatureModule } from '../feature.js';
import { productIntegrationEvents } from './productIntegrationEvents.js';
import { inventoryLiveSource } from './inventoryChanges.js';
import { inventoryProjection } from './inventoryProjection.js';
import { inventorySubscriptions } from './inventorySubscriptions.js';
import { productMutations } from './productMutations.js';
import { productQueries } from './productQueries.js';

/** Products: the catalog and stock, the inventory read model and its live changes. */
export const productsFeature: FeatureModule = {
  name: 'products',
  // Catalog mutations and queries, the inventory subscription.
  graphql: (builder) => {
    productMutations(builder);
    productQueries(builder);
    inventorySubscriptions(builder);
  },
  projections: [inventoryProjection],
  integrationEvents: productIntegrationEvents,
  liveSources: [inventoryLiveSource],
};
