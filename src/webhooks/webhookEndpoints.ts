import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { isWriteConflict, type Database } from '../db/database.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { newWebhookSecret, type StoredSecret, type WebhookSecretBox } from './webhookSecrets.js';

/** The reaction target kind of webhook endpoints. */
export const WEBHOOK_KIND = 'webhook';

/** A webhook endpoint as the API shows it (never its secrets). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  /** Null: every type. */
  eventTypes: string[] | null;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

export interface EndpointChanges {
  url?: string;
  eventTypes?: string[] | null;
  description?: string | null;
}

const include = { target: true } as const;
type EndpointRow = NonNullable<Awaited<ReturnType<PrismaClient['webhookEndpoint']['findUnique']>>> & {
  target: { eventTypes: string[]; enabled: boolean; disabledReason: string | null; createdAt: Date };
};

const viewOf = (row: EndpointRow): WebhookEndpointView => ({
  id: row.id,
  url: row.url,
  eventTypes: row.target.eventTypes.length > 0 ? row.target.eventTypes : null,
  description: row.description,
  enabled: row.target.enabled,
  disabledReason: row.target.disabledReason,
  createdAt: row.target.createdAt,
});

/** Webhook endpoints: a `webhook_endpoints` row beside the generic `reaction_targets` row of the same id. */
export class WebhookEndpointStore {
  constructor(
    private readonly db: Database,
    private readonly secrets: WebhookSecretBox,
  ) {}

  /**
   * Creates an endpoint that receives the events after `fromPosition` (the log's head now: not
   * the past). Returns it with its secret, which is shown this once.
   */
  async create(
    input: { url: string; eventTypes: string[] | null; description: string | null },
    fromPosition: bigint,
  ): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    const id = randomUUID();
    const secret = newWebhookSecret();
    await this.db.prisma.reactionTarget.create({
      data: {
        id,
        kind: WEBHOOK_KIND,
        eventTypes: input.eventTypes ?? [],
        fromPosition,
        webhook: { create: { url: input.url, description: input.description, secrets: [this.secrets.seal(id, secret)] as never } },
      },
    });
    return { endpoint: (await this.get(id))!, secret };
  }

  async list(): Promise<WebhookEndpointView[]> {
    const rows = await this.db.prisma.webhookEndpoint.findMany({ include, orderBy: { target: { createdAt: 'asc' } } });
    return rows.map(viewOf);
  }

  async get(id: string): Promise<WebhookEndpointView | undefined> {
    const row = await this.db.prisma.webhookEndpoint.findUnique({ where: { id }, include });
    return row ? viewOf(row) : undefined;
  }

  /** Changes what was given; false when there is no such endpoint. */
  async update(id: string, changes: EndpointChanges): Promise<boolean> {
    if (!(await this.get(id))) return false;
    await this.db.prisma.$transaction([
      this.db.prisma.webhookEndpoint.update({
        where: { id },
        data: { url: changes.url, description: changes.description === undefined ? undefined : changes.description },
      }),
      ...(changes.eventTypes === undefined
        ? []
        : [this.db.prisma.reactionTarget.update({ where: { id }, data: { eventTypes: changes.eventTypes ?? [] } })]),
    ]);
    return true;
  }

  /** A new secret; the old one keeps signing beside it for a day. Undefined when there is no such endpoint. */
  async rotateSecret(id: string): Promise<string | undefined> {
    const secret = newWebhookSecret();
    const rotated = await this.db.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<
        { secrets: StoredSecret[] }[]
      >`SELECT secrets FROM webhook_endpoints WHERE id = ${id}::uuid FOR UPDATE`;
      if (!row) return false;
      await tx.webhookEndpoint.update({ where: { id }, data: { secrets: this.secrets.rotate(id, row.secrets, secret) as never } });
      return true;
    });
    return rotated ? secret : undefined;
  }

  /** Deletes the endpoint with its deliveries; false when there was none. */
  async delete(id: string): Promise<boolean> {
    // The delete takes the endpoint's deliveries with it, locking them in whatever order it finds
    // them, while a delivering process records a run's outcomes in another order: PostgreSQL then
    // breaks the deadlock by failing one of the two. Neither did anything, so the delete runs again.
    const { count } = await pRetry(() => this.db.prisma.reactionTarget.deleteMany({ where: { id, kind: WEBHOOK_KIND } }), {
      retries: 4,
      minTimeout: 20,
      randomize: true,
      shouldRetry: ({ error }) => isWriteConflict(error),
    });
    return count === 1;
  }

  /** Where and how to send a message now: the URL and the secrets that sign (opened). */
  async forSending(id: string): Promise<{ url: string; secrets: string[] } | undefined> {
    const { rows } = await this.db.pool.query<{ url: string; secrets: StoredSecret[] }>({
      name: 'webhooks_for_sending',
      text: 'SELECT url, secrets FROM webhook_endpoints WHERE id = $1',
      values: [id],
    });
    const row = rows[0];
    return row ? { url: row.url, secrets: this.secrets.signingSecrets(id, row.secrets) } : undefined;
  }
}
