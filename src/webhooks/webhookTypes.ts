import { definedOnce } from '../graphql/builder.js';
import type { WebhookDeliveryView } from './webhookDeliveries.js';
import type { WebhookEndpointView } from './webhookEndpoints.js';
import { webhooksOf } from './webhookServices.js';

/** The slice's shared types, defined once per schema builder. */
export const webhookTypes = definedOnce((builder) => {
  const WebhookEndpointType = builder.objectRef<WebhookEndpointView>('WebhookEndpoint').implement({
    description: 'Where integration events are posted, signed the Standard Webhooks way (admin).',
    fields: (t) => ({
      id: t.exposeID('id'),
      url: t.exposeString('url'),
      eventTypes: t.exposeStringList('eventTypes', {
        nullable: true,
        description: 'The integration event types it receives; null: every type.',
      }),
      description: t.exposeString('description', { nullable: true }),
      enabled: t.exposeBoolean('enabled', {
        description: 'False once disabled (it answered 410, or failed every attempt for too long): enable it to resume.',
      }),
      disabledReason: t.exposeString('disabledReason', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime', description: 'It receives the events recorded after this, not the past.' }),
      lag: t.int({
        description: 'Messages it has not received yet (pending, or failed and awaiting a retry).',
        resolve: async (endpoint, _args, ctx) => (await webhooksOf(ctx.services).deliveries.lag(endpoint.id)) ?? 0,
      }),
    }),
  });

  const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
    description:
      'PENDING: not attempted yet; FAILED: a retry is due at nextAttemptAt; DELIVERED; DEAD: every attempt failed (redeliver it).',
    values: ['PENDING', 'DELIVERED', 'FAILED', 'DEAD'] as const,
  });

  const WebhookAttemptType = builder.objectRef<WebhookDeliveryView['attempts'][number]>('WebhookAttempt').implement({
    description: 'One attempt at a delivery.',
    fields: (t) => ({
      at: t.expose('at', { type: 'DateTime' }),
      statusCode: t.exposeInt('statusCode', { nullable: true, description: "The answer's status; null when there was no answer." }),
      latencyMs: t.exposeInt('latencyMs'),
      error: t.exposeString('error', { nullable: true }),
      responseBody: t.exposeString('responseBody', { nullable: true, description: 'The first KiB of the answer.' }),
    }),
  });

  const WebhookDeliveryType = builder.objectRef<WebhookDeliveryView>('WebhookDelivery').implement({
    description: 'One integration event on its way to one endpoint.',
    fields: (t) => ({
      id: t.exposeID('id'),
      endpointId: t.exposeID('endpointId'),
      eventId: t.exposeString('eventId', { description: 'The CloudEvent `id` and the `webhook-id` header: the same on every attempt.' }),
      eventType: t.exposeString('eventType'),
      subject: t.exposeString('subject'),
      status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
      nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
      attempts: t.field({ type: [WebhookAttemptType], resolve: (d) => d.attempts, description: 'Oldest first.' }),
    }),
  });

  const WebhookDeliveryConnection = builder.connectionObject(
    { type: WebhookDeliveryType, name: 'WebhookDeliveryConnection' },
    { name: 'WebhookDeliveryEdge' },
  );
  return { WebhookEndpointType, DeliveryStatusEnum, WebhookAttemptType, WebhookDeliveryType, WebhookDeliveryConnection };
});
