import type { FeatureModule } from '../feature.js';
import { customerIntegrationEvents } from './customerIntegrationEvents.js';
import type { Services } from '../services.js';
import { customersProjection } from './customerProjection.js';
import { completeInterruptedErasures } from './customerErasure.js';
import { customerUpcasters } from './customerUpcasters.js';
import { dataKeysOf } from './dataKeys.js';
import { personalDataReads } from './personalDataReads.js';
import { customerMutations } from './customerMutations.js';
import { customerQueries } from './customerQueries.js';

/** Customers: registration, forgetting (crypto-shredding) and the customers read model (order counts and spend). */
export const customersFeature: FeatureModule<Services> = {
  name: 'customers',
  // Registration, forgetting and the customer queries.
  graphql: (builder) => {
    customerMutations(builder);
    customerQueries(builder);
  },
  projections: [customersProjection],
  integrationEvents: customerIntegrationEvents,
  liveSources: [],
  upcasters: customerUpcasters,
  eventReadTransforms: [personalDataReads],
  startupChecks: [
    {
      // Another DATA_KEY_SECRET than the keys were wrapped with would make every name unreadable: refuse to start.
      name: 'data key secret',
      run: (services) => dataKeysOf(services.db, services.config.dataKeys.secret).verifyMasterKey(),
    },
    {
      name: 'interrupted erasures',
      async run(services) {
        const completed = await completeInterruptedErasures(services.db.pool);
        if (completed.length > 0)
          services.logger.warn({ customers: completed.length }, 'completed the erasure of forgotten customers that a stop had interrupted');
      },
    },
  ],
};
