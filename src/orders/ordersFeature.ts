import type { FeatureModule } from '../feature.js';
import { orderIntegrationEvents } from './orderIntegrationEvents.js';
import type { Services } from '../services.js';
import { orderLiveSource } from './orderChanges.js';
import { orderLifecycleExample } from './orderLifecycleExample.js';
import { orderQueriesExample, orderSubscriptionsExample } from './orderReadExamples.js';
import { orderCountsProjection } from './orderCountsProjection.js';
import { ordersProjection } from './orderProjection.js';
import { paymentDeadlinesProjection } from './paymentDeadlineProjection.js';
import { paymentDeadlineTimer } from './paymentDeadlineTimer.js';
import { customerOrders } from './customerOrders.js';
import { orderMutations } from './orderMutations.js';
import { orderQueries } from './orderQueries.js';
import { orderShipment } from './orderShipment.js';
import { orderSubscriptions } from './orderSubscriptions.js';

/**
 * Orders: the order aggregate's commands, the orders read model and its live changes, and the
 * payment deadlines (a projection that schedules them from the log, a timer that fires them).
 */
export const ordersFeature: FeatureModule<Services> = {
  name: 'orders',
  // Mutations, queries (and a customer's orders), subscriptions.
  graphql: (builder) => {
    orderMutations(builder);
    orderQueries(builder);
    orderShipment(builder);
    customerOrders(builder);
    orderSubscriptions(builder);
  },
  // The walk through every command, then reads and live changes (the customer and product it needs included).
  examples: [orderLifecycleExample, orderQueriesExample, orderSubscriptionsExample],
  projections: [ordersProjection, orderCountsProjection, paymentDeadlinesProjection],
  integrationEvents: orderIntegrationEvents,
  liveSources: [orderLiveSource],
  processes: [paymentDeadlineTimer],
};
