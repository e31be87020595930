import type pg from 'pg';
import type { DeliveryStatus } from './deliveryStore.js';

/** One attempt at a delivery, as the admin API shows it. */
export interface AttemptView {
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseBody: string | null;
}

/**
 * A delivery of one message to one target, with its attempts, as the admin API shows it. The
 * message itself is left out: an email's is composed at send time and is no one's business here.
 */
export interface DeliveryView {
  id: string;
  targetId: string;
  kind: string;
  eventId: string;
  eventType: string;
  subject: string;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  attempts: AttemptView[];
}

export interface DeliveryFilter {
  kind?: string;
  targetId?: string;
  status?: DeliveryStatus;
}

/** A reaction target's state and how many of its deliveries wait or are dead. */
export interface TargetView {
  id: string;
  kind: string;
  enabled: boolean;
  disabledReason: string | null;
  /** Undelivered messages: pending, or failed and awaiting a retry. */
  lag: number;
  pending: number;
  failed: number;
  dead: number;
}

const DELIVERY_ID = /^\d{1,18}$/;
const TARGET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a delivery's id (a bigint): anything else names no delivery, without asking the database. */
export const isDeliveryId = (id: string): boolean => DELIVERY_ID.test(id);
/** Whether `id` can be a target's id (a UUID). */
export const isTargetId = (id: string): boolean => TARGET_ID.test(id);

/** The keyset of the delivery log's pages: the delivery's id (newest first). */
export const deliveryCursorKey = {
  of: (delivery: { id: string }) => [delivery.id],
  isValid: (key: unknown[]) => key.length === 1 && typeof key[0] === 'string' && isDeliveryId(key[0]),
};

const WHERE = `($1::text IS NULL OR t.kind = $1) AND ($2::uuid IS NULL OR d.target_id = $2::uuid) AND ($3::text IS NULL OR d.status = $3)`;
const filterValues = (filter: DeliveryFilter) => [filter.kind ?? null, filter.targetId ?? null, filter.status ?? null];

/** The delivery log of every kind of target, newest first: what the admin API lists and redelivers from. */
export class DeliveryLog {
  constructor(private readonly pool: pg.Pool) {}

  /** A page after (older than) or before (newer than) the delivery `id`; `inverted`: oldest first. */
  async page(
    filter: DeliveryFilter,
    page: { afterId?: string; beforeId?: string; limit: number; inverted: boolean },
  ): Promise<DeliveryView[]> {
    const { rows } = await this.pool.query<{
      id: string;
      target_id: string;
      kind: string;
      event_id: string;
      message_type: string;
      subject: string;
      status: DeliveryStatus;
      next_attempt_at: Date;
      attempts: AttemptView[] | null;
    }>(
      `SELECT d.id::text, d.target_id, t.kind, d.event_id, d.message_type, d.subject, d.status, d.next_attempt_at,
              (SELECT json_agg(json_build_object('at', a.at, 'statusCode', a.status_code, 'latencyMs', a.latency_ms,
                                                 'error', a.error, 'responseBody', a.response_body) ORDER BY a.id)
               FROM reaction_attempts a WHERE a.delivery_id = d.id) AS attempts
       FROM reaction_deliveries d JOIN reaction_targets t ON t.id = d.target_id
       WHERE ${WHERE} AND ($4::bigint IS NULL OR d.id < $4) AND ($5::bigint IS NULL OR d.id > $5)
       ORDER BY d.id ${page.inverted ? 'ASC' : 'DESC'} LIMIT $6`,
      [...filterValues(filter), page.afterId ?? null, page.beforeId ?? null, page.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      targetId: r.target_id,
      kind: r.kind,
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
      filterValues(filter),
    );
    return rows[0]!.n;
  }

  /** One delivery (of a target of `kind`, when given). */
  async get(id: string, kind?: string): Promise<DeliveryView | undefined> {
    const [delivery] = await this.page({ kind }, { afterId: (BigInt(id) + 1n).toString(), limit: 1, inverted: false });
    return delivery?.id === id ? delivery : undefined;
  }

  /** Undelivered messages of one target. */
  async lag(targetId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reaction_deliveries WHERE target_id = $1 AND status IN ('PENDING', 'FAILED')`,
      [targetId],
    );
    return rows[0]!.n;
  }

  /** Every target (or the one `id` names), oldest first, with its deliveries counted by status. */
  async targets(id?: string): Promise<TargetView[]> {
    const { rows } = await this.pool.query<Omit<TargetView, 'lag'> & { disabled_reason: string | null }>(
      // Two counts, each read from its own partial index: the delivered history is never scanned.
      `SELECT t.id, t.kind, t.enabled, t.disabled_reason, u.pending, u.failed, x.dead
       FROM reaction_targets t
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE d.status = 'PENDING')::int AS pending, count(*) FILTER (WHERE d.status = 'FAILED')::int AS failed
         FROM reaction_deliveries d WHERE d.target_id = t.id AND d.status IN ('PENDING', 'FAILED')
       ) u
       CROSS JOIN LATERAL (SELECT count(*)::int AS dead FROM reaction_deliveries d WHERE d.target_id = t.id AND d.status = 'DEAD') x
       WHERE $1::uuid IS NULL OR t.id = $1::uuid
       ORDER BY t.created_at, t.id`,
      [id ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      enabled: r.enabled,
      disabledReason: r.disabled_reason,
      lag: r.pending + r.failed,
      pending: r.pending,
      failed: r.failed,
      dead: r.dead,
    }));
  }
}
