import { EmailTakenError, NotFoundError, RateLimitedError } from '../domain/errors.js';
import { commandMutation, entityAtPosition } from '../graphql/commandTypes.js';
import type { Builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { clientAddress } from '../graphql/security/clientAddress.js';
import { forgetCustomer, registerCustomer } from './customerCommands.js';
import { customerTypes } from './customerTypes.js';

/**
 * Sign-ups per client address (SIGNUP_RATE_PER_HOUR): every account brings its own allowance of
 * mutations and its own share of the stock a customer may hold, so accounts must not come for free.
 * A store that cannot answer lets the sign-up through (the limit must not become an outage).
 */
async function admitSignup(context: GraphQLContext): Promise<void> {
  const store = context.services.signupLimits;
  if (!store) return;
  const verdict = await Promise.resolve(store.take(`address:${clientAddress(context)}`, 1)).catch((err: unknown) => {
    context.log.warn({ err }, 'sign-up limit store unavailable; not limiting this sign-up');
    return { allowed: true as const };
  });
  if (verdict.allowed) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const perHour = context.services.config.signupRatePerHour;
  throw new RateLimitedError(
    `too many sign-ups: at most ${perHour} an hour per client address; retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}

/** Adds this slice's GraphQL to a schema builder. */
export function customerMutations(builder: Builder): void {
  const { CustomerType } = customerTypes(builder);
  commandMutation(builder, {
    name: 'registerCustomer',
    admit: admitSignup,
    description:
      'Registers a customer (anyone may). The first answer carries a customer token for the new customer; a repeat of the same command (same commandId and input) answers with `token: null`.',
    definition: registerCustomer,
    onExistingAggregate: false,
    input: (t) => ({ name: t.string({ required: true }), email: t.string({ required: true }) }),
    success: (t) => ({
      customer: t.field({ type: CustomerType, resolve: entityAtPosition }),
      token: t.string({
        description:
          'A bearer token (role customer) for the new customer: send it as `Authorization: Bearer <token>`. Null when this answers a repeated command: a replayed request never hands out a credential.',
        nullable: true,
        resolve: (p) => p.entity.token,
      }),
    }),
    errors: [EmailTakenError, RateLimitedError],
  });

  commandMutation(builder, {
    name: 'forgetCustomer',
    description:
      "Forgets a customer (the customer themself, or an admin; staff are FORBIDDEN; another customer's id is NOT_FOUND). Their personal data becomes unreadable everywhere: the key it was encrypted with is deleted and every copy erased. Their orders stay, without their name; their email may register again as a new customer. Forgetting a forgotten customer is a success that appends nothing.",
    definition: forgetCustomer,
    onExistingAggregate: false,
    input: (t) => ({ customerId: t.id({ required: true }) }),
    success: (t) => ({ customer: t.field({ type: CustomerType, resolve: entityAtPosition }) }),
    errors: [NotFoundError],
  });
}
