import type { Aggregate } from '../domain/aggregate.js';
import { EmailTakenError } from '../domain/errors.js';
import { streamIds } from '../domain/streamIds.js';
import type { CustomerCommand, CustomerEmailEvent, CustomerEvent, CustomerState } from './customerEvents.js';

const CUSTOMER_STREAMS = streamIds('Customer');
/** An email's claim: one stream per address, so that two registrations of it conflict. */
const EMAIL_STREAMS = streamIds('CustomerEmail');

/** The Customer aggregate. */
export const customerAggregate: Aggregate<CustomerState, CustomerEvent> = {
  streamType: CUSTOMER_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ exists: false, id: '', name: '', email: '', registeredAt: '' }),
  evolve: (state, event, { occurredAt }) => ({
    exists: true,
    id: event.data.customerId,
    name: event.data.personal.name,
    email: event.data.personal.email,
    registeredAt: state.registeredAt || occurredAt,
  }),
};

/** Who holds an email address (the claim stream's state). */
export const customerEmailAggregate: Aggregate<{ claimedBy: string | null }, CustomerEmailEvent> = {
  streamType: EMAIL_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ claimedBy: null }),
  evolve: (_state, event) => ({ claimedBy: event.data.customerId }),
};

export const customerStreamId = (customerId: string): string => CUSTOMER_STREAMS.of(customerId);

/** Emails are unique case-insensitively. */
export const customerEmailStreamId = (email: string): string => EMAIL_STREAMS.of(email.trim().toLowerCase());

/**
 * Registration touches two streams: the new customer's and the email claim. Returns both sets of
 * events, or rejects with EMAIL_TAKEN when the email is already claimed.
 */
export function decideRegistration(
  command: CustomerCommand,
  emailClaim: { claimedBy: string | null },
): { customer: CustomerEvent[]; emailClaim: CustomerEmailEvent[] } {
  if (emailClaim.claimedBy !== null) throw new EmailTakenError();
  const { customerId, name, email } = command;
  return {
    customer: [{ type: 'CustomerRegistered', data: { customerId, personal: { name, email } } }],
    emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId } }],
  };
}
