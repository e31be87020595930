import { definedOnce } from '../graphql/builder.js';
import type { DeliveryView, TargetView } from '../reactions/deliveryLog.js';
import { webhookTypes } from '../webhooks/webhookTypes.js';

/** The types of every reaction target's delivery log, defined once per schema builder. */
export const deadLetterTypes = definedOnce((builder) => {
  // The same status and attempt shapes as the webhook log: one vocabulary for every kind of target.
  const { DeliveryStatusEnum, WebhookAttemptType } = webhookTypes(builder);

  const ReactionTargetType = builder.objectRef<TargetView>('ReactionTarget').implement({
    description: 'Where integration events go: a webhook endpoint, the event bus, the customer emails (admin).',
    fields: (t) => ({
      id: t.exposeID('id'),
      kind: t.exposeString('kind', { description: '`webhook`, `eventBus` or `email`.' }),
      enabled: t.exposeBoolean('enabled', {
        description: 'False once disabled (it failed every attempt for too long, or its setting is unset): enable it to resume.',
      }),
      disabledReason: t.exposeString('disabledReason', { nullable: true }),
      lag: t.exposeInt('lag', { description: 'Messages it has not received yet (pending, or failed and awaiting a retry).' }),
      pendingCount: t.exposeInt('pending', { description: 'Deliveries not attempted yet (or redelivered).' }),
      failedCount: t.exposeInt('failed', { description: 'Deliveries that failed and await a retry.' }),
      deadCount: t.exposeInt('dead', { description: 'Dead letters: every attempt failed. Redeliver them.' }),
    }),
  });

  const ReactionDeliveryType = builder.objectRef<DeliveryView>('ReactionDelivery').implement({
    description: 'One integration event on its way to one target: its status and attempts, never the message or an address.',
    fields: (t) => ({
      id: t.exposeID('id'),
      targetId: t.exposeID('targetId'),
      kind: t.exposeString('kind'),
      eventId: t.exposeString('eventId', { description: "The event's id: the same on every attempt and redelivery." }),
      eventType: t.exposeString('eventType'),
      subject: t.exposeString('subject'),
      status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
      nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
      attempts: t.field({ type: [WebhookAttemptType], resolve: (d) => d.attempts, description: 'Oldest first.' }),
    }),
  });

  const ReactionDeliveryConnection = builder.connectionObject(
    { type: ReactionDeliveryType, name: 'ReactionDeliveryConnection' },
    { name: 'ReactionDeliveryEdge' },
  );
  return { DeliveryStatusEnum, ReactionTargetType, ReactionDeliveryType, ReactionDeliveryConnection };
});
