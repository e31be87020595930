import { assertNever, type Aggregate } from '../domain/aggregate.js';
import { EmailTakenError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { streamIds } from '../domain/streamIds.js';
import type { CustomerCommand, CustomerEmailEvent, CustomerEvent, CustomerState } from './customerEvents.js';
import { normaliseEmail } from './personalDataCipher.js';

export const CUSTOMER_STREAMS = streamIds('Customer');
/** An email's claim: one stream per address, so that two registrations of it conflict. */
const EMAIL_STREAMS = streamIds('CustomerEmail');

/** The Customer aggregate. */
export const customerAggregate: Aggregate<CustomerState, CustomerEvent> = {
  streamType: CUSTOMER_STREAMS.type,
  // 2: name and email nullable and `forgotten` added; states folded before that hold no `forgotten`.
  snapshotSchemaVersion: 2,
  initialState: () => ({ exists: false, id: '', name: null, email: null, forgotten: false, registeredAt: '' }),
  evolve: (state, event, { occurredAt }) => {
    switch (event.type) {
      case 'CustomerRegistered':
        return {
          exists: true,
          id: event.data.customerId,
          name: state.forgotten ? null : (event.data.personal?.name ?? null),
          email: state.forgotten ? null : (event.data.personal?.email ?? null),
          forgotten: state.forgotten,
          registeredAt: state.registeredAt || occurredAt,
        };
      case 'CustomerForgotten':
        return { ...state, name: null, email: null, forgotten: true };
      default:
        return assertNever(event);
    }
  },
};

/** Who holds an email address (the claim stream's state). */
export const customerEmailAggregate: Aggregate<{ claimedBy: string | null }, CustomerEmailEvent> = {
  streamType: EMAIL_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ claimedBy: null }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'CustomerEmailClaimed':
        return { claimedBy: event.data.customerId };
      case 'CustomerEmailReleased':
        return state.claimedBy === event.data.customerId ? { claimedBy: null } : state;
      default:
        return assertNever(event);
    }
  },
};

export const customerStreamId = (customerId: string): string => CUSTOMER_STREAMS.of(customerId);

/** The claim stream of an email, named by the address's keyed hash (`emailClaimHash`), never by the address. */
export const customerEmailStreamId = (emailHash: string): string => EMAIL_STREAMS.of(emailHash);

/**
 * The claim stream the previous release made for an email: named by the address itself. No new one
 * is written; registration still honours an existing one, and forgetting its customer renames it.
 */
export const legacyCustomerEmailStreamId = (email: string): string => EMAIL_STREAMS.of(normaliseEmail(email));

/**
 * Registration touches two streams: the new customer's and the email claim. Returns both sets of
 * events, or rejects with EMAIL_TAKEN when the email is already claimed.
 */
export function decideRegistration(
  command: Extract<CustomerCommand, { type: 'RegisterCustomer' }>,
  emailClaim: { claimedBy: string | null },
): { customer: CustomerEvent[]; emailClaim: CustomerEmailEvent[] } {
  if (emailClaim.claimedBy !== null) throw new EmailTakenError();
  const { customerId, name, email } = command;
  return {
    customer: [{ type: 'CustomerRegistered', data: { customerId, personal: { name, email } } }],
    emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId } }],
  };
}

/**
 * Forgetting: `CustomerForgotten`, and the email's claim released when this customer holds it.
 * Forgetting a forgotten customer decides nothing (a success that appends nothing).
 */
export function decideForget(
  command: Extract<CustomerCommand, { type: 'ForgetCustomer' }>,
  customer: CustomerState,
  emailClaim: { claimedBy: string | null },
): { customer: CustomerEvent[]; emailClaim: CustomerEmailEvent[] } {
  if (!customer.exists) throw new NotFoundError('customer not found');
  if (customer.forgotten) return { customer: [], emailClaim: [] };
  const { customerId } = command;
  return {
    customer: [{ type: 'CustomerForgotten', data: { customerId } }],
    emailClaim: emailClaim.claimedBy === customerId ? [{ type: 'CustomerEmailReleased', data: { customerId } }] : [],
  };
}

/**
 * A customer's own token acts only while the customer is not forgotten: forgetting ends what the
 * account can change (its tokens may live on until they expire), and leaves it only reading.
 */
export function requireCustomerMayAct(customer: Pick<CustomerState, 'forgotten'>): void {
  if (customer.forgotten) throw new ForbiddenError('this customer has been forgotten: their token can only read');
}
