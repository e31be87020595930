/**
 * A customer's personal data, kept together in one field of the events that carry it, so that
 * protecting it (encrypting it under the customer's own key) and erasing it (forgetting the customer)
 * each act on one field, whatever else the event holds.
 */
export interface PersonalData {
  name: string;
  email: string;
}

/**
 * Events of the Customer stream (`Customer-<customerId>`). `CustomerRegistered` is at schema
 * version 2 (personal data grouped under `personal`); version 1 stored `name` and `email` beside
 * `customerId` and is upcast on read (customerUpcasters.ts).
 */
export type CustomerEvent = { type: 'CustomerRegistered'; data: { customerId: string; personal: PersonalData } };

/**
 * Events of the email-claim stream (`CustomerEmail-<lower-cased email>`): appended together with
 * the registration with expected version 0, so two registrations of one email cannot both commit.
 */
export type CustomerEmailEvent = { type: 'CustomerEmailClaimed'; data: { customerId: string } };

export type CustomerCommand = { type: 'RegisterCustomer'; customerId: string; name: string; email: string };

export interface CustomerState {
  exists: boolean;
  id: string;
  name: string;
  email: string;
  registeredAt: string;
}
