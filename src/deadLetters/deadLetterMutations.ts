import { requireAdmin } from '../auth/actor.js';
import { ForbiddenError, InvalidStateError, NotFoundError, UnauthenticatedError, ValidationError } from '../domain/errors.js';
import type { Builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { errorTypes } from '../graphql/errorTypes.js';
import { isDeliveryId, isTargetId } from '../reactions/deliveryLog.js';
import { deadLetterTypes } from './deadLetterTypes.js';

const errors = (name: string) => ({
  types: [ValidationError, NotFoundError, InvalidStateError, ForbiddenError, UnauthenticatedError],
  directResult: true as const,
  union: { name },
});

/** The reaction target `id` names, or NOT_FOUND (also for an id that is no target id at all). */
export async function targetOf(ctx: GraphQLContext, id: string | number) {
  const [target] = isTargetId(String(id)) ? await ctx.services.reactions.log.targets(String(id)) : [];
  if (!target) throw new NotFoundError(`no reaction target ${JSON.stringify(String(id).slice(0, 100))}`);
  return target;
}

/** Adds redelivery of dead letters and re-enabling of targets, for every kind of target (admin only). */
export function deadLetterMutations(builder: Builder): void {
  errorTypes(builder);
  const { ReactionTargetType, ReactionDeliveryType } = deadLetterTypes(builder);
  const targetIdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ targetId: t.id({ required: true }) }) });

  const RedeliverSuccess = builder.objectRef<{ delivery: unknown }>('RedeliverReactionSuccess').implement({
    fields: (t) => ({ delivery: t.field({ type: ReactionDeliveryType, resolve: (r) => r.delivery as never }) }),
  });
  const RedeliverDeadSuccess = builder.objectRef<{ count: number }>('RedeliverDeadReactionsSuccess').implement({
    fields: (t) => ({ count: t.exposeInt('count', { description: 'How many dead letters are on their way again.' }) }),
  });
  const EnableSuccess = builder.objectRef<{ target: unknown }>('EnableReactionTargetSuccess').implement({
    fields: (t) => ({ target: t.field({ type: ReactionTargetType, resolve: (r) => r.target as never }) }),
  });

  builder.mutationFields((t) => ({
    redeliverReaction: t.field({
      type: RedeliverSuccess,
      description: 'Sends one delivery of any target again, with a fresh retry schedule (admin). The receiver sees the same event id.',
      args: {
        input: t.arg({
          type: builder.inputType('RedeliverReactionInput', { fields: (f) => ({ deliveryId: f.id({ required: true }) }) }),
          required: true,
        }),
      },
      errors: errors('RedeliverReactionResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const id = String(input.deliveryId);
        const { log, store } = ctx.services.reactions;
        const existing = isDeliveryId(id) ? await log.get(id) : undefined;
        if (!existing) throw new NotFoundError(`no reaction delivery ${JSON.stringify(id.slice(0, 100))}`);
        if (!(await store.redeliver(BigInt(id)))) throw new InvalidStateError('the delivery is being attempted right now');
        ctx.services.reactions.poke();
        return { delivery: await log.get(id) };
      },
    }),
    redeliverDeadReactions: t.field({
      type: RedeliverDeadSuccess,
      description: 'Sends every DEAD delivery of a target again, in log order per stream (admin).',
      args: { input: t.arg({ type: targetIdInput('RedeliverDeadReactionsInput'), required: true }) },
      errors: errors('RedeliverDeadReactionsResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await targetOf(ctx, input.targetId);
        const count = await ctx.services.reactions.store.redeliverDead(id);
        ctx.services.reactions.poke();
        return { count };
      },
    }),
    enableReactionTarget: t.field({
      type: EnableSuccess,
      description: 'Enables a disabled target of any kind (admin): its messages resume where they stopped.',
      args: { input: t.arg({ type: targetIdInput('EnableReactionTargetInput'), required: true }) },
      errors: errors('EnableReactionTargetResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id, kind } = await targetOf(ctx, input.targetId);
        // Enabled without a sender it would say it delivers while nothing is sent; the next start
        // without its setting would disable it again anyway.
        if (!ctx.services.reactions.sends(kind))
          throw new InvalidStateError(`targets of kind ${kind} are off in this service's settings: configure them, then restart`);
        await ctx.services.reactions.store.enable(id);
        ctx.services.reactions.poke();
        return { target: await targetOf(ctx, id) };
      },
    }),
  }));
}
