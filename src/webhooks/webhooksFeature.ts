import type { FeatureModule } from '../feature.js';
import type { Services } from '../services.js';
import { webhookExample } from './webhookExample.js';
import { WEBHOOK_KIND } from './webhookEndpoints.js';
import { WebhookSender } from './webhookSender.js';
import { webhooksOf } from './webhookServices.js';
import { webhookMutations } from './webhookMutations.js';
import { webhookQueries } from './webhookQueries.js';

/** Webhooks: integration events posted to HTTP endpoints, signed, in order per stream, retried. */
export const webhooksFeature: FeatureModule<Services> = {
  name: 'webhooks',
  // Endpoint administration, the delivery log, redelivery.
  graphql: (builder) => {
    webhookMutations(builder);
    webhookQueries(builder);
  },
  examples: [webhookExample],
  projections: [],
  liveSources: [],
  reactionTargets: [
    {
      kind: WEBHOOK_KIND,
      createSender: (services) =>
        new WebhookSender(webhooksOf(services).endpoints, {
          timeoutMs: services.config.webhooks.timeoutMs,
          allowedHosts: services.config.webhooks.allowedHosts,
        }),
    },
  ],
};
