import type pg from 'pg';
import type { DeliveryStatus } from '../reactions/deliveryStore.js';
import { DeliveryLog, type DeliveryView } from '../reactions/deliveryLog.js';
import { WEBHOOK_KIND } from './webhookEndpoints.js';

/** A delivery to a webhook endpoint, with its attempts, as the API shows it. */
export type WebhookDeliveryView = DeliveryView & { endpointId: string };

export interface DeliveryFilter {
  endpointId?: string;
  status?: DeliveryStatus;
}

const asWebhook = (delivery: DeliveryView): WebhookDeliveryView => ({ ...delivery, endpointId: delivery.targetId });
const ofWebhooks = (filter: DeliveryFilter) => ({ kind: WEBHOOK_KIND, targetId: filter.endpointId, status: filter.status });

/** The webhook deliveries, newest first, for the admin API: the reactions' delivery log, of webhook endpoints only. */
export class WebhookDeliveries {
  private readonly log: DeliveryLog;

  constructor(pool: pg.Pool) {
    this.log = new DeliveryLog(pool);
  }

  /** A page after (older than) or before (newer than) the delivery `id`; `inverted`: oldest first. */
  async page(
    filter: DeliveryFilter,
    page: { afterId?: string; beforeId?: string; limit: number; inverted: boolean },
  ): Promise<WebhookDeliveryView[]> {
    return (await this.log.page(ofWebhooks(filter), page)).map(asWebhook);
  }

  count(filter: DeliveryFilter): Promise<number> {
    return this.log.count(ofWebhooks(filter));
  }

  async get(id: string): Promise<WebhookDeliveryView | undefined> {
    const delivery = await this.log.get(id, WEBHOOK_KIND);
    return delivery && asWebhook(delivery);
  }

  /** Undelivered messages of one endpoint. */
  lag(endpointId: string): Promise<number> {
    return this.log.lag(endpointId);
  }
}
