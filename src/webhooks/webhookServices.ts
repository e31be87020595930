import type { Database } from '../db/database.js';
import type { Services } from '../services.js';
import { WebhookDeliveries } from './webhookDeliveries.js';
import { WebhookEndpointStore } from './webhookEndpoints.js';
import { WebhookSecretBox } from './webhookSecrets.js';

/** The webhooks feature's parts for one service: its endpoints and deliveries. */
export interface Webhooks {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveries;
}

const byDatabase = new WeakMap<Database, Webhooks>();

/** The webhooks parts of a service (one per database, shared by its sender and its API). */
export function webhooksOf(services: Pick<Services, 'db' | 'config'>): Webhooks {
  let webhooks = byDatabase.get(services.db);
  if (!webhooks) {
    webhooks = {
      endpoints: new WebhookEndpointStore(services.db, new WebhookSecretBox(services.config.dataKeys.secret)),
      deliveries: new WebhookDeliveries(services.db.pool),
    };
    byDatabase.set(services.db, webhooks);
  }
  return webhooks;
}
