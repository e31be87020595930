import { z } from 'zod';
import { requireNotPaymentService } from '../auth/actor.js';
import { signAccessToken } from '../auth/tokens.js';
import { loadAggregate, planAppend } from '../commands/loadAggregate.js';
import type { CommandDefinition } from '../commands/pipeline.js';
import { bounded } from '../commands/validation.js';
import { customerAggregate, customerEmailAggregate, customerEmailStreamId, customerStreamId, decideRegistration } from './customerDecider.js';
import type { CustomerState } from './customerEvents.js';
import { customerViewFromState, type CustomerView } from './customerView.js';

/** The new customer, with a customer token to act as them (null when answering a repeat). */
export type RegisteredCustomer = CustomerView & { token: string | null };

async function withToken(view: CustomerView, config: { jwt: Parameters<typeof signAccessToken>[1] }): Promise<RegisteredCustomer> {
  return { ...view, token: await signAccessToken({ sub: view.id, role: 'customer' }, config.jwt) };
}

export const registerCustomer: CommandDefinition<{ name: string; email: string }, RegisteredCustomer> = {
  name: 'registerCustomer',
  input: z.object({ name: bounded.name, email: bounded.email }),
  authorize: requireNotPaymentService,
  async plan(input, env) {
    const store = env.services.eventStore;
    // The email claim stream makes the address unique: its expected version is the one read here,
    // so of two registrations racing for one address only one commits (the other retries and
    // then finds the address taken).
    const claim = await loadAggregate(store, customerEmailStreamId(input.email), customerEmailAggregate);
    const customerId = env.newId();
    const customer = await loadAggregate(store, customerStreamId(customerId), customerAggregate);
    const events = decideRegistration({ type: 'RegisterCustomer', customerId, name: input.name, email: input.email }, claim.state);
    const occurredAt = env.now.toISOString();
    const customerAppend = planAppend(customer, events.customer, occurredAt);
    const claimAppend = planAppend(claim, events.emailClaim, occurredAt);
    const entity = await withToken(customerViewFromState(customerAppend.stateAfter as CustomerState), env.services.config);
    return { aggregateId: customerId, appends: [customerAppend, claimAppend], entity };
  },
  // A repeat (anyone may send the same commandId, name and email again) must not hand out a
  // credential for the account: only the first answer carries the token.
  async replay(customerId, version, env) {
    const customer = await loadAggregate(env.services.eventStore, customerStreamId(customerId), customerAggregate, version);
    return { ...customerViewFromState(customer.state), token: null };
  },
};
