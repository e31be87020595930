import type { FeatureModule } from '../feature.js';
import type { Services } from '../services.js';
import { WEBHOOK_KIND } from './webhookEndpoints.js';
import { WebhookSender } from './webhookSender.js';
import { webhooksOf } from './webhookServices.js';
// The webhooks slice's GraphQL: endpoint administration, the delivery log, redelivery.
import './webhookMutations.js';
import './webhookQueries.js';

/** Webhooks: integration events posted to HTTP endpoints, signed, in order per stream, retried. */
export const webhooksFeature: FeatureModule<Services> = {
  name: 'webhooks',
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
