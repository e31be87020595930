import { EmailTakenError, NotFoundError } from '../domain/errors.js';
import { commandMutation, entityAtPosition } from '../graphql/commandTypes.js';
import type { Builder } from '../graphql/builder.js';
import { forgetCustomer, registerCustomer } from './customerCommands.js';
import { customerTypes } from './customerTypes.js';

/** Adds this slice's GraphQL to a schema builder. */
export function customerMutations(builder: Builder): void {
  const { CustomerType } = customerTypes(builder);
  commandMutation(builder, {
    name: 'registerCustomer',
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
    errors: [EmailTakenError],
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
