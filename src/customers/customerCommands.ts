import { z } from 'zod';
import { requireNotPaymentService, requireUser } from '../auth/actor.js';
import { signAccessToken } from '../auth/tokens.js';
import { loadAggregate, planAppend } from '../commands/loadAggregate.js';
import type { CommandDefinition, CommandEnv } from '../commands/pipeline.js';
import { bounded } from '../commands/validation.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import {
  customerAggregate,
  customerEmailAggregate,
  customerEmailStreamId,
  customerStreamId,
  decideForget,
  decideRegistration,
  legacyCustomerEmailStreamId,
} from './customerDecider.js';
import { eraseCustomer } from './customerErasure.js';
import type { CustomerState } from './customerEvents.js';
import { customerViewFromState, type CustomerView } from './customerView.js';
import { dataKeysOf } from './dataKeys.js';
import { emailClaimHash } from './personalDataCipher.js';
import { sealPersonal } from './personalDataReads.js';

/** The new customer, with a customer token to act as them (null when answering a repeat). */
export type RegisteredCustomer = CustomerView & { token: string | null };

async function withToken(view: CustomerView, config: { jwt: Parameters<typeof signAccessToken>[1] }): Promise<RegisteredCustomer> {
  return { ...view, token: await signAccessToken({ sub: view.id, role: 'customer' }, config.jwt) };
}

const dataKeys = (env: CommandEnv) => dataKeysOf(env.services.db, env.services.config.dataKeys.secret);

/** The claim stream of an email: named by its keyed hash, so the log never holds the address in plain text. */
async function emailClaimStreamId(env: CommandEnv, email: string): Promise<string> {
  return customerEmailStreamId(emailClaimHash(await dataKeys(env).emailClaimKey(), email));
}

export const registerCustomer: CommandDefinition<{ name: string; email: string }, RegisteredCustomer> = {
  name: 'registerCustomer',
  input: z.object({ name: bounded.name, email: bounded.email }),
  authorize: requireNotPaymentService,
  async plan(input, env) {
    const store = env.services.eventStore;
    // The email claim stream makes the address unique: its expected version is the one read here,
    // so of two registrations racing for one address only one commits (the other retries and
    // then finds the address taken). The previous release named claims by the address itself:
    // such a claim still holds its address (none is written any more, so reading it is enough).
    const [claim, legacyClaim] = await Promise.all([
      emailClaimStreamId(env, input.email).then((streamId) => loadAggregate(store, streamId, customerEmailAggregate)),
      loadAggregate(store, legacyCustomerEmailStreamId(input.email), customerEmailAggregate),
    ]);
    const customerId = env.newId();
    const customer = await loadAggregate(store, customerStreamId(customerId), customerAggregate);
    const command = { type: 'RegisterCustomer' as const, customerId, name: input.name, email: input.email };
    const events = decideRegistration(command, { claimedBy: claim.state.claimedBy ?? legacyClaim.state.claimedBy });
    const occurredAt = env.now.toISOString();
    const customerAppend = planAppend(customer, events.customer, occurredAt);
    // The log gets the personal data sealed under this customer's own key; the state keeps it readable.
    const key = await dataKeys(env).createCustomerKey(customerId);
    customerAppend.events = customerAppend.events.map((event) =>
      event.type === 'CustomerRegistered'
        ? { ...event, data: { customerId, personal: sealPersonal(key, customerId, { name: input.name, email: input.email }) } }
        : event,
    );
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

/**
 * Forgets a customer: the customer themself or an admin. Staff are FORBIDDEN (erasure is not a
 * support chore); a customer naming anyone else gets NOT_FOUND, as for an id that does not exist,
 * so the answer tells them nothing about other accounts.
 */
export const forgetCustomer: CommandDefinition<{ customerId: string }, CustomerView> = {
  name: 'forgetCustomer',
  input: z.object({ customerId: bounded.id }),
  authorize(auth) {
    const user = requireUser(auth);
    if (user.role === 'staff') throw new ForbiddenError('forgetting a customer needs the admin role, or the customer themself');
    return user;
  },
  async plan(input, env) {
    const { customerId } = input;
    if (env.actor.kind === 'user' && env.actor.role === 'customer' && env.actor.sub !== customerId)
      throw new NotFoundError('customer not found');
    const store = env.services.eventStore;
    const customer = await loadAggregate(store, customerStreamId(customerId), customerAggregate);
    if (!customer.state.exists) throw new NotFoundError('customer not found');
    // Only a customer whose email is still readable holds a hashed claim to release.
    const email = customer.state.email;
    const claim = email === null ? undefined : await loadAggregate(store, await emailClaimStreamId(env, email), customerEmailAggregate);
    const events = decideForget({ type: 'ForgetCustomer', customerId }, customer.state, claim?.state ?? { claimedBy: null });
    const occurredAt = env.now.toISOString();
    const customerAppend = planAppend(customer, events.customer, occurredAt);
    const appends: [typeof customerAppend, ...(typeof customerAppend)[]] = [customerAppend];
    if (claim && events.emailClaim.length > 0) appends.push(planAppend(claim, events.emailClaim, occurredAt));
    return { aggregateId: customerId, appends, entity: customerViewFromState(customerAppend.stateAfter as CustomerState) };
  },
  // Runs after every success, a repeat included: forgetting again finishes an erasure a crash cut short.
  async afterCommit(customerId, env) {
    await eraseCustomer(env.services.db.pool, customerId);
  },
  async replay(customerId, version, env) {
    const customer = await loadAggregate(env.services.eventStore, customerStreamId(customerId), customerAggregate, version);
    return customerViewFromState(customer.state);
  },
};
