import { describe, expect, it } from 'vitest';
import { EmailTakenError } from '../domain/errors.js';
import { deciderSpec, foldEvents, occurredAt } from '../domain/testing/givenWhenThen.js';
import { customerAggregate, customerEmailAggregate, customerEmailStreamId, customerStreamId, decideRegistration } from './customerDecider.js';
import type { CustomerCommand, CustomerEmailEvent, CustomerEvent } from './customerEvents.js';

/** "given" is the email-claim stream: registration is decided on who holds the email. */
const given = deciderSpec(customerEmailAggregate, decideRegistration);

const register = (customerId = 'customer-1', email = 'ada@example.com'): CustomerCommand => ({
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
        customer: [{ type: 'CustomerRegistered', data: { customerId: 'customer-1', personal: { name: 'Ada Lovelace', email: 'ada@example.com' } } }],
        emailClaim: [{ type: 'CustomerEmailClaimed', data: { customerId: 'customer-1' } }],
      });
  });

  it('records the email as it was given', () => {
    given()
      .when(register('customer-1', 'Ada@Example.com'))
      .thenEmits({
        customer: [{ type: 'CustomerRegistered', data: { customerId: 'customer-1', personal: { name: 'Ada Lovelace', email: 'Ada@Example.com' } } }],
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

describe('customerEmailStreamId', () => {
  it('names one claim stream per email, ignoring case', () => {
    expect(customerEmailStreamId('Ada@Example.COM')).toBe('CustomerEmail-ada@example.com');
    expect(customerEmailStreamId('ADA@EXAMPLE.COM')).toBe(customerEmailStreamId('ada@example.com'));
  });

  it('ignores surrounding whitespace', () => {
    expect(customerEmailStreamId('  ada@example.com\t')).toBe('CustomerEmail-ada@example.com');
    expect(customerEmailStreamId(' Ada@Example.com ')).toBe(customerEmailStreamId('ada@example.com'));
  });

  it('keeps different emails in different streams', () => {
    expect(customerEmailStreamId('ada@example.com')).not.toBe(customerEmailStreamId('ada@example.org'));
    expect(customerEmailStreamId('ada.l@example.com')).not.toBe(customerEmailStreamId('ada@example.com'));
  });

  it('names the customer stream by the customer id', () => {
    expect(customerStreamId('customer-1')).toBe('Customer-customer-1');
  });
});

describe('customerAggregate', () => {
  it('starts from a customer that does not exist', () => {
    expect(customerAggregate.initialState()).toStrictEqual({ exists: false, id: '', name: '', email: '', registeredAt: '' });
    expect(customerAggregate.streamType).toBe('Customer');
  });

  it('folds a registration into an existing customer registered at the time of the event', () => {
    expect(foldEvents(customerAggregate, [registered('customer-1')])).toStrictEqual({
      exists: true,
      id: 'customer-1',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      registeredAt: occurredAt(0),
    });
  });

  it('folds what the decider emits for the customer stream', () => {
    const { customer } = decideRegistration(register('customer-7', 'grace@example.com'), customerEmailAggregate.initialState());
    expect(foldEvents(customerAggregate, customer)).toMatchObject({ exists: true, id: 'customer-7', email: 'grace@example.com' });
  });

  it('keeps the first registration time when a later registration event is folded', () => {
    const state = foldEvents(customerAggregate, [registered('customer-1'), registered('customer-1', 'Ada King', 'ada@king.example')]);
    expect(state).toStrictEqual({ exists: true, id: 'customer-1', name: 'Ada King', email: 'ada@king.example', registeredAt: occurredAt(0) });
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
    given(...emailClaim).when(register('customer-2')).thenRejects(EmailTakenError, 'EMAIL_TAKEN');
  });
});
