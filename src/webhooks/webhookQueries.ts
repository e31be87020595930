import { requireAdmin } from '../auth/actor.js';
import type { Builder } from '../graphql/builder.js';
import { keysetConnection } from '../graphql/cursors.js';
import { deliveryCursorKey } from '../reactions/deliveryLog.js';
import { endpointOf } from './webhookMutations.js';
import { webhookTypes } from './webhookTypes.js';
import { webhooksOf } from './webhookServices.js';

/** Adds the webhook endpoints' queries to a schema builder (admin only). */
export function webhookQueries(builder: Builder): void {
  const {
    DeliveryStatusEnum,
    WebhookDeliveryConnection,
    WebhookDeliveryType: WebhookDeliveryTypeRef,
    WebhookEndpointType,
  } = webhookTypes(builder);
  builder.queryFields((t) => ({
    webhookEndpoints: t.field({
      type: [WebhookEndpointType],
      description: 'Every webhook endpoint, oldest first (admin).',
      resolve: (_root, _args, ctx) => {
        requireAdmin(ctx.auth);
        return webhooksOf(ctx.services).endpoints.list();
      },
    }),
    webhookDeliveries: t.connection(
      {
        type: WebhookDeliveryTypeRef,
        description: 'Webhook deliveries with their attempts, newest first (admin); of one endpoint, of one status.',
        args: { endpointId: t.arg.id({ required: false }), status: t.arg({ type: DeliveryStatusEnum, required: false }) },
        resolve: async (_root, args, ctx) => {
          requireAdmin(ctx.auth);
          const endpointId = args.endpointId ? (await endpointOf(ctx, args.endpointId)).id : undefined;
          const filter = { endpointId, status: args.status ?? undefined };
          const { deliveries } = webhooksOf(ctx.services);
          return keysetConnection(
            args,
            deliveryCursorKey,
            (page) =>
              deliveries.page(filter, {
                afterId: page.after?.[0] as string | undefined,
                beforeId: page.before?.[0] as string | undefined,
                limit: page.limit,
                inverted: page.inverted,
              }),
            () => deliveries.count(filter),
          );
        },
      },
      WebhookDeliveryConnection,
    ),
  }));
}
