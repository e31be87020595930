import { requireAdmin } from '../auth/actor.js';
import type { Builder } from '../graphql/builder.js';
import { keysetConnection } from '../graphql/cursors.js';
import { deliveryCursorKey } from '../reactions/deliveryLog.js';
import { targetOf } from './deadLetterMutations.js';
import { deadLetterTypes } from './deadLetterTypes.js';

/** Adds the reaction targets and their delivery log to a schema builder (admin only). */
export function deadLetterQueries(builder: Builder): void {
  const { DeliveryStatusEnum, ReactionTargetType, ReactionDeliveryType, ReactionDeliveryConnection } = deadLetterTypes(builder);
  builder.queryFields((t) => ({
    reactionTargets: t.field({
      type: [ReactionTargetType],
      description: 'Every reaction target of every kind, oldest first, with its deliveries counted by status (admin).',
      resolve: (_root, _args, ctx) => {
        requireAdmin(ctx.auth);
        return ctx.services.reactions.log.targets();
      },
    }),
    reactionDeliveries: t.connection(
      {
        type: ReactionDeliveryType,
        description: 'Deliveries of every kind of target with their attempts, newest first (admin); of one target, of one status.',
        args: { targetId: t.arg.id({ required: false }), status: t.arg({ type: DeliveryStatusEnum, required: false }) },
        resolve: async (_root, args, ctx) => {
          requireAdmin(ctx.auth);
          const targetId = args.targetId ? (await targetOf(ctx, args.targetId)).id : undefined;
          const filter = { targetId, status: args.status ?? undefined };
          const { log } = ctx.services.reactions;
          return keysetConnection(
            args,
            deliveryCursorKey,
            (page) =>
              log.page(filter, {
                afterId: page.after?.[0] as string | undefined,
                beforeId: page.before?.[0] as string | undefined,
                limit: page.limit,
                inverted: page.inverted,
              }),
            () => log.count(filter),
          );
        },
      },
      ReactionDeliveryConnection,
    ),
  }));
}
