import { describe, expect, it } from 'vitest';
import { EmailTakenError, NotFoundError } from '../domain/errors.js';
import { deciderSpec, foldEvents, occurredAt } from '../domain/testing/givenWhenThen.js';
import {
  customerAggregate,
  customerEmailAggregate,
  customerEmailStreamId,
  customerStreamId,
  decideForget,
  decideRegistration,
  legacyCustomerEmailStreamId,
} from './customerDecider.js';
import type { CustomerCommand, CustomerEmailEvent, CustomerEvent } from './customerEvents.js';

/** "given" is the email-claim stream: registration is decided on who holds the email. */
const given = deciderSpec(customerEmailAggregate, decideRegistration);

const register = (customerId = 'customer-1', email = 'ada@example.com'): Extract<CustomerCommand, { type: 'RegisterCustomer' }> => ({
  type: 'RegisterCustomer',
  customerId,
  name: 'Ada Lovelace',
  email,
});
const emailClaimed = (customerId: string): CustomerEmailEvent => ({ type: 'CustomerEmailClaimed', data: { customerId } });
const registered = (customerId: string, name = 'Ada Lovelace', email = 'ada@example.com'): CustomerEvent => ({
  type: 'CustomerRegistered',
  data: { customerId, personal: { name, email } },
});

describe('decideRegistration', () => {
  it('registers the customer and claims the email for them when the email is free', () => {
    given()
      .when(register('customer-1'))
      .thenEmits({
        customer: [
          { type: 'CustomerRegistered', data: { customerId: 'customer-1', personal: { name: 'Ada Lovelace', email: 'ada@example.com' } } },
        ],
        emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId: 'customer-1' } }],
      });
  });

  it('records the email as it was given', () => {
    given()
      .when(register('customer-1', 'Ada@Example.com'))
      .thenEmits({
        customer: [
          { type: 'CustomerRegistered', data: { customerId: 'customer-1', personal: { name: 'Ada Lovelace', email: 'Ada@Example.com' } } },
        ],
        emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId: 'customer-1' } }],
      });
  });

  it('rejects registering an email another customer claimed with EMAIL_TAKEN', () => {
    given(emailClaimed('customer-0')).when(register('customer-1')).thenRejects(EmailTakenError, 'EMAIL_TAKEN');
  });

  it('rejects registering an email the same customer id already claimed with EMAIL_TAKEN', () => {
    given(emailClaimed('customer-1')).when(register('customer-1')).thenRejects(EmailTakenError, 'EMAIL_TAKEN');
  });
});

describe('email claim streams', () => {
  it('names a claim stream by the hash it is given, never by an address', () => {
    expect(customerEmailStreamId('ab'.repeat(32))).toBe(`CustomerEmail-${'ab'.repeat(32)}`);
  });
  it("names the previous release's claim stream by the address, ignoring case and surrounding whitespace", () => {
    expect(legacyCustomerEmailStreamId('  Ada@Example.COM\t')).toBe('CustomerEmail-ada@example.com');
  });
  it('names the customer stream by the customer id', () => {
    expect(customerStreamId('customer-1')).toBe('Customer-customer-1');
  });
});

describe('decideForget', () => {
  const forget = { type: 'ForgetCustomer' as const, customerId: 'customer-1' };
  const existing = foldEvents(customerAggregate, [registered('customer-1')]);

  it('forgets a registered customer and releases the email claim they hold', () => {
    expect(decideForget(forget, existing, { claimedBy: 'customer-1' })).toEqual({
      customer: [{ type: 'CustomerForgotten', data: { customerId: 'customer-1' } }],
      emailClaim: [{ type: 'CustomerEmailReleased', data: { customerId: 'customer-1' } }],
    });
  });
  it('releases no claim that another customer holds', () => {
    expect(decideForget(forget, existing, { claimedBy: 'customer-2' }).emailClaim).toEqual([]);
  });
  it('decides nothing for a customer already forgotten', () => {
    const forgotten = foldEvents(customerAggregate, [
      registered('customer-1'),
      { type: 'CustomerForgotten', data: { customerId: 'customer-1' } },
    ]);
    expect(decideForget(forget, forgotten, { claimedBy: null })).toEqual({ customer: [], emailClaim: [] });
  });
  it('rejects forgetting a customer that does not exist with NOT_FOUND', () => {
    expect(() => decideForget(forget, customerAggregate.initialState(), { claimedBy: null })).toThrow(NotFoundError);
  });
});

describe('customerAggregate', () => {
  it('starts from a customer that does not exist', () => {
    expect(customerAggregate.initialState()).toStrictEqual({
      exists: false,
      id: '',
      name: null,
      email: null,
      forgotten: false,
      registeredAt: '',
    });
    expect(customerAggregate.streamType).toBe('Customer');
  });

  it('folds a registration into an existing customer registered at the time of the event', () => {
    expect(foldEvents(customerAggregate, [registered('customer-1')])).toStrictEqual({
      exists: true,
      id: 'customer-1',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      forgotten: false,
      registeredAt: occurredAt(0),
    });
  });
  it('folds a forgetting into a customer without name or email, flagged forgotten', () => {
    expect(
      foldEvents(customerAggregate, [registered('customer-1'), { type: 'CustomerForgotten', data: { customerId: 'customer-1' } }]),
    ).toMatchObject({
      exists: true,
      id: 'customer-1',
      name: null,
      email: null,
      forgotten: true,
    });
  });
  it('folds a registration whose personal data is unreadable (key deleted) into a customer without name or email', () => {
    expect(
      foldEvents(customerAggregate, [{ type: 'CustomerRegistered', data: { customerId: 'customer-1', personal: null } }]),
    ).toMatchObject({ name: null, email: null });
  });

  it('folds what the decider emits for the customer stream', () => {
    const { customer } = decideRegistration(register('customer-7', 'grace@example.com'), customerEmailAggregate.initialState());
    expect(foldEvents(customerAggregate, customer)).toMatchObject({ exists: true, id: 'customer-7', email: 'grace@example.com' });
  });

  it('keeps the first registration time when a later registration event is folded', () => {
    const state = foldEvents(customerAggregate, [registered('customer-1'), registered('customer-1', 'Ada King', 'ada@king.example')]);
    expect(state).toStrictEqual({
      exists: true,
      id: 'customer-1',
      name: 'Ada King',
      email: 'ada@king.example',
      forgotten: false,
      registeredAt: occurredAt(0),
    });
  });
});

describe('customerEmailAggregate', () => {
  it('starts with the email unclaimed', () => {
    expect(customerEmailAggregate.initialState()).toStrictEqual({ claimedBy: null });
    expect(customerEmailAggregate.streamType).toBe('CustomerEmail');
  });

  it('folds a claim into the customer holding the email', () => {
    expect(foldEvents(customerEmailAggregate, [emailClaimed('customer-1')])).toStrictEqual({ claimedBy: 'customer-1' });
  });

  it('folds what the decider emits for the claim stream, so the next registration of that email is rejected', () => {
    const { emailClaim } = decideRegistration(register('customer-1'), customerEmailAggregate.initialState());
    given(...emailClaim)
      .when(register('customer-2'))
      .thenRejects(EmailTakenError, 'EMAIL_TAKEN');
  });
  it('folds a release by the holder into an unclaimed email, so the address may register again', () => {
    const released: CustomerEmailEvent = { type: 'CustomerEmailReleased', data: { customerId: 'customer-1' } };
    expect(foldEvents(customerEmailAggregate, [emailClaimed('customer-1'), released])).toStrictEqual({ claimedBy: null });
    given(emailClaimed('customer-1'), released)
      .when(register('customer-2'))
      .thenEmits({
        customer: [
          { type: 'CustomerRegistered', data: { customerId: 'customer-2', personal: { name: 'Ada Lovelace', email: 'ada@example.com' } } },
        ],
        emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId: 'customer-2' } }],
      });
  });
});
