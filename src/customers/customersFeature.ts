import type { FeatureModule } from '../feature.js';
import { customersProjection } from './customerProjection.js';
import { customerUpcasters } from './customerUpcasters.js';
// The customers slice's GraphQL: registration and the customer queries.
import './customerMutations.js';
import './customerQueries.js';

/** Customers: registration and the customers read model (order counts and spend). */
export const customersFeature: FeatureModule = {
  name: 'customers',
  projections: [customersProjection],
  liveSources: [],
  upcasters: customerUpcasters,
};
