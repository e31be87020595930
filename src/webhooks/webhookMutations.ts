import { requireAdmin } from '../auth/actor.js';
import { ForbiddenError, InvalidStateError, NotFoundError, UnauthenticatedError, ValidationError } from '../domain/errors.js';
import type { Builder } from '../graphql/builder.js';
import { errorTypes } from '../graphql/errorTypes.js';
import { isDeliveryId, isTargetId } from '../reactions/deliveryLog.js';
import type { GraphQLContext } from '../graphql/context.js';
import { webhookTypes } from './webhookTypes.js';
import { webhooksOf } from './webhookServices.js';
import { checkEndpointUrl } from './webhookUrls.js';

const MAX_DESCRIPTION = 500;

const errors = (name: string) => ({
  types: [ValidationError, NotFoundError, InvalidStateError, ForbiddenError, UnauthenticatedError],
  directResult: true as const,
  union: { name },
});

/** The endpoint `id` names, or NOT_FOUND (also for an id that is no endpoint id at all). */
export async function endpointOf(ctx: GraphQLContext, id: string | number) {
  const endpoint = isTargetId(String(id)) ? await webhooksOf(ctx.services).endpoints.get(String(id)) : undefined;
  if (!endpoint) throw new NotFoundError(`no webhook endpoint ${JSON.stringify(String(id).slice(0, 100))}`);
  return endpoint;
}

function checkEventTypes(ctx: GraphQLContext, types: readonly string[] | null | undefined): string[] | null {
  if (types === null || types === undefined) return null;
  const known = ctx.services.integrationEvents.types;
  const problems = types.flatMap((type, i) =>
    known.includes(type) ? [] : [{ path: `input.eventTypes.${i}`, message: `is not an integration event type (${known.join(', ')})` }],
  );
  if (types.length === 0) problems.push({ path: 'input.eventTypes', message: 'must list at least one type (leave it out for every type)' });
  if (problems.length > 0) throw new ValidationError(problems);
  return [...new Set(types)];
}

function checkDescription(description: string | null | undefined): string | null | undefined {
  if (description && description.length > MAX_DESCRIPTION)
    throw new ValidationError([{ path: 'input.description', message: `must be at most ${MAX_DESCRIPTION} characters` }]);
  return description;
}

const urlRules = (ctx: GraphQLContext) => ({
  production: ctx.services.config.env === 'production',
  allowedHosts: ctx.services.config.webhooks.allowedHosts,
});

interface EndpointWithSecret {
  endpoint: Awaited<ReturnType<typeof endpointOf>>;
  secret: string;
}
/** Adds the webhook endpoints' mutations to a schema builder (admin only). */
export function webhookMutations(builder: Builder): void {
  errorTypes(builder);
  const { WebhookDeliveryType, WebhookEndpointType } = webhookTypes(builder);
  const withSecret = (name: string, description: string) =>
    builder.objectRef<EndpointWithSecret>(name).implement({
      fields: (t) => ({
        endpoint: t.field({ type: WebhookEndpointType, resolve: (r) => r.endpoint }),
        secret: t.exposeString('secret', { description }),
      }),
    });
  const CreateSuccess = withSecret('CreateWebhookEndpointSuccess', 'The signing secret (`whsec_...`), shown this once.');
  const RotateSuccess = withSecret(
    'RotateWebhookSecretSuccess',
    'The new signing secret; the old one keeps signing beside it for 24 hours.',
  );
  const EndpointSuccess = (name: string) =>
    builder.objectRef<{ endpoint: EndpointWithSecret['endpoint'] }>(name).implement({
      fields: (t) => ({ endpoint: t.field({ type: WebhookEndpointType, resolve: (r) => r.endpoint }) }),
    });
  const DeleteSuccess = builder.objectRef<{ endpointId: string }>('DeleteWebhookEndpointSuccess').implement({
    fields: (t) => ({ endpointId: t.exposeID('endpointId') }),
  });
  const RedeliverSuccess = builder.objectRef<{ delivery: unknown }>('RedeliverWebhookSuccess').implement({
    fields: (t) => ({ delivery: t.field({ type: WebhookDeliveryType, resolve: (r) => r.delivery as never }) }),
  });
  const RedeliverDeadSuccess = builder.objectRef<{ count: number }>('RedeliverDeadWebhooksSuccess').implement({
    fields: (t) => ({ count: t.exposeInt('count', { description: 'How many dead letters are on their way again.' }) }),
  });

  const endpointIdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ endpointId: t.id({ required: true }) }) });

  const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
    fields: (t) => ({
      url: t.string({ required: true, description: 'https (http only for hosts in WEBHOOK_ALLOWED_HOSTS outside production).' }),
      eventTypes: t.stringList({ required: false, description: 'Integration event types to receive; leave out for every type.' }),
      description: t.string({ required: false }),
    }),
  });
  const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
    fields: (t) => ({
      endpointId: t.id({ required: true }),
      url: t.string({ required: false }),
      eventTypes: t.stringList({ required: false, description: 'Null: every type; left out: unchanged.' }),
      description: t.string({ required: false }),
    }),
  });

  builder.mutationFields((t) => ({
    createWebhookEndpoint: t.field({
      type: CreateSuccess,
      description: 'Adds a webhook endpoint (admin). It receives the events recorded from now on, not the past.',
      args: { input: t.arg({ type: CreateInput, required: true }) },
      errors: errors('CreateWebhookEndpointResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const eventTypes = checkEventTypes(ctx, input.eventTypes);
        const description = checkDescription(input.description) ?? null;
        const url = await checkEndpointUrl(input.url, urlRules(ctx));
        return webhooksOf(ctx.services).endpoints.create(
          { url: url.href, eventTypes, description },
          await ctx.services.eventStore.headPosition(),
        );
      },
    }),
    updateWebhookEndpoint: t.field({
      type: EndpointSuccess('UpdateWebhookEndpointSuccess'),
      description: "Changes an endpoint's URL, event types or description (admin).",
      args: { input: t.arg({ type: UpdateInput, required: true }) },
      errors: errors('UpdateWebhookEndpointResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await endpointOf(ctx, input.endpointId);
        const eventTypes = input.eventTypes === undefined ? undefined : checkEventTypes(ctx, input.eventTypes);
        const url = input.url === undefined || input.url === null ? undefined : (await checkEndpointUrl(input.url, urlRules(ctx))).href;
        await webhooksOf(ctx.services).endpoints.update(id, { url, eventTypes, description: checkDescription(input.description) });
        return { endpoint: await endpointOf(ctx, id) };
      },
    }),
    rotateWebhookSecret: t.field({
      type: RotateSuccess,
      description: 'Gives an endpoint a new signing secret (admin); the old one keeps signing beside it for 24 hours.',
      args: { input: t.arg({ type: endpointIdInput('RotateWebhookSecretInput'), required: true }) },
      errors: errors('RotateWebhookSecretResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await endpointOf(ctx, input.endpointId);
        const secret = await webhooksOf(ctx.services).endpoints.rotateSecret(id);
        if (!secret) throw new NotFoundError(`no webhook endpoint ${id}`);
        return { endpoint: await endpointOf(ctx, id), secret };
      },
    }),
    deleteWebhookEndpoint: t.field({
      type: DeleteSuccess,
      description: 'Deletes an endpoint and its delivery log (admin).',
      args: { input: t.arg({ type: endpointIdInput('DeleteWebhookEndpointInput'), required: true }) },
      errors: errors('DeleteWebhookEndpointResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await endpointOf(ctx, input.endpointId);
        await webhooksOf(ctx.services).endpoints.delete(id);
        return { endpointId: id };
      },
    }),
    enableWebhookEndpoint: t.field({
      type: EndpointSuccess('EnableWebhookEndpointSuccess'),
      description: 'Enables a disabled endpoint (admin): its messages resume where they stopped.',
      args: { input: t.arg({ type: endpointIdInput('EnableWebhookEndpointInput'), required: true }) },
      errors: errors('EnableWebhookEndpointResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await endpointOf(ctx, input.endpointId);
        await ctx.services.reactions.store.enable(id);
        ctx.services.reactions.poke();
        return { endpoint: await endpointOf(ctx, id) };
      },
    }),
    redeliverWebhook: t.field({
      type: RedeliverSuccess,
      description: 'Sends one delivery again, with a fresh retry schedule (admin). The receiver sees the same webhook-id.',
      args: {
        input: t.arg({
          type: builder.inputType('RedeliverWebhookInput', { fields: (f) => ({ deliveryId: f.id({ required: true }) }) }),
          required: true,
        }),
      },
      errors: errors('RedeliverWebhookResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const id = String(input.deliveryId);
        const { deliveries } = webhooksOf(ctx.services);
        const existing = isDeliveryId(id) ? await deliveries.get(id) : undefined;
        if (!existing) throw new NotFoundError(`no webhook delivery ${JSON.stringify(id.slice(0, 100))}`);
        if (!(await ctx.services.reactions.store.redeliver(BigInt(id))))
          throw new InvalidStateError('the delivery is being attempted right now');
        ctx.services.reactions.poke();
        return { delivery: await deliveries.get(id) };
      },
    }),
    redeliverDeadWebhooks: t.field({
      type: RedeliverDeadSuccess,
      description: 'Sends every DEAD delivery of an endpoint again, in log order per stream (admin).',
      args: { input: t.arg({ type: endpointIdInput('RedeliverDeadWebhooksInput'), required: true }) },
      errors: errors('RedeliverDeadWebhooksResult'),
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const { id } = await endpointOf(ctx, input.endpointId);
        const count = await ctx.services.reactions.store.redeliverDead(id);
        ctx.services.reactions.poke();
        return { count };
      },
    }),
  }));
}
