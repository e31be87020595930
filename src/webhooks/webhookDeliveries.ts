import type pg from 'pg';
import type { DeliveryStatus } from '../reactions/deliveryStore.js';
import { WEBHOOK_KIND } from './webhookEndpoints.js';

/** A delivery to a webhook endpoint, with its attempts, as the API shows it. */
export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  subject: string;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  attempts: { at: Date; statusCode: number | null; latencyMs: number; error: string | null; responseBody: string | null }[];
}

export interface DeliveryFilter {
  endpointId?: string;
  status?: DeliveryStatus;
}

const WHERE = `t.kind = '${WEBHOOK_KIND}' AND ($1::uuid IS NULL OR d.target_id = $1::uuid) AND ($2::text IS NULL OR d.status = $2)`;

/** The webhook deliveries, newest first, for the admin API. */
export class WebhookDeliveries {
  constructor(private readonly pool: pg.Pool) {}

  /** A page after (older than) or before (newer than) the delivery `id`; `inverted`: oldest first. */
  async page(
    filter: DeliveryFilter,
    page: { afterId?: string; beforeId?: string; limit: number; inverted: boolean },
  ): Promise<WebhookDeliveryView[]> {
    const { rows } = await this.pool.query<{
      id: string;
      target_id: string;
      event_id: string;
      message_type: string;
      subject: string;
      status: DeliveryStatus;
      next_attempt_at: Date;
      attempts: WebhookDeliveryView['attempts'] | null;
    }>(
      `SELECT d.id::text, d.target_id, d.event_id, d.message_type, d.subject, d.status, d.next_attempt_at,
              (SELECT json_agg(json_build_object('at', a.at, 'statusCode', a.status_code, 'latencyMs', a.latency_ms,
                                                 'error', a.error, 'responseBody', a.response_body) ORDER BY a.id)
               FROM reaction_attempts a WHERE a.delivery_id = d.id) AS attempts
       FROM reaction_deliveries d JOIN reaction_targets t ON t.id = d.target_id
       WHERE ${WHERE} AND ($3::bigint IS NULL OR d.id < $3) AND ($4::bigint IS NULL OR d.id > $4)
       ORDER BY d.id ${page.inverted ? 'ASC' : 'DESC'} LIMIT $5`,
      [filter.endpointId ?? null, filter.status ?? null, page.afterId ?? null, page.beforeId ?? null, page.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      endpointId: r.target_id,
      eventId: r.event_id,
      eventType: r.message_type,
      subject: r.subject,
      status: r.status,
      nextAttemptAt: r.status === 'PENDING' || r.status === 'FAILED' ? r.next_attempt_at : null,
      attempts: (r.attempts ?? []).map((a) => ({ ...a, at: new Date(a.at) })),
    }));
  }

  async count(filter: DeliveryFilter): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reaction_deliveries d JOIN reaction_targets t ON t.id = d.target_id WHERE ${WHERE}`,
      [filter.endpointId ?? null, filter.status ?? null],
    );
    return rows[0]!.n;
  }

  async get(id: string): Promise<WebhookDeliveryView | undefined> {
    const [delivery] = await this.page({}, { afterId: (BigInt(id) + 1n).toString(), limit: 1, inverted: false });
    return delivery?.id === id ? delivery : undefined;
  }

  /** Undelivered messages of one endpoint. */
  async lag(endpointId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reaction_deliveries WHERE target_id = $1 AND status IN ('PENDING', 'FAILED')`,
      [endpointId],
    );
    return rows[0]!.n;
  }
}
