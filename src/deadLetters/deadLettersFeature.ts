import type { FeatureModule } from '../feature.js';
import type { Services } from '../services.js';
import { deadLetterExample } from './deadLetterExample.js';
import { deadLetterMutations } from './deadLetterMutations.js';
import { deadLetterQueries } from './deadLetterQueries.js';

/**
 * Dead letters of every kind of reaction target (webhook endpoints, the event bus, customer
 * emails): the targets with their counts, the delivery log, redelivery one by one or all at once,
 * and enabling a disabled target. Admin only; status and attempts only, never a message or an address.
 */
export const deadLettersFeature: FeatureModule<Services> = {
  name: 'deadLetters',
  graphql: (builder) => {
    deadLetterQueries(builder);
    deadLetterMutations(builder);
  },
  examples: [deadLetterExample],
  projections: [],
  liveSources: [],
};
