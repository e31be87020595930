import type { FeatureModule } from '../feature.js';
import { orderIntegrationEvents } from './orderIntegrationEvents.js';
import type { Services } from '../services.js';
import { orderLiveSource } from './orderChanges.js';
import { ordersProjection } from './orderProjection.js';
import { paymentDeadlinesProjection } from './paymentDeadlineProjection.js';
import { paymentDeadlineTimer } from './paymentDeadlineTimer.js';
// The orders slice's GraphQL: mutations, queries (and a customer's orders), subscriptions.
import './orderMutations.js';
import './orderQueries.js';
import './customerOrders.js';
import './orderSubscriptions.js';

/**
 * Orders: the order aggregate's commands, the orders read model and its live changes, and the
 * payment deadlines (a projection that schedules them from the log, a timer that fires them).
 */
export const ordersFeature: FeatureModule<Services> = {
  name: 'orders',
  projections: [ordersProjection, paymentDeadlinesProjection],
  integrationEvents: orderIntegrationEvents,
  liveSources: [orderLiveSource],
  processes: [paymentDeadlineTimer],
};
