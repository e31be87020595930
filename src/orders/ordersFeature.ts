import type { FeatureModule } from '../feature.js';
import { orderLiveSource } from './orderChanges.js';
import { ordersProjection } from './orderProjection.js';
// The orders slice's GraphQL: mutations, queries (and a customer's orders), subscriptions.
import './orderMutations.js';
import './orderQueries.js';
import './customerOrders.js';
import './orderSubscriptions.js';

/** Orders: the order aggregate's commands, the orders read model and its live changes. */
export const ordersFeature: FeatureModule = {
  name: 'orders',
  projections: [ordersProjection],
  liveSources: [orderLiveSource],
};
