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
 * Personal data as the log stores it: AES-256-GCM under the customer's own data key (an envelope
 * made by personalDataCipher.ts). It never reaches a decider, a projection or a query: the read
 * path opens it (personalDataReads.ts), and a missing key opens it as `null`.
 */
export interface SealedPersonalData {
  sealed: string;
}

/**
 * Events of the Customer stream (`Customer-<customerId>`), as every reader sees them.
 *
 * `CustomerRegistered` is at schema version 2: personal data grouped under `personal`, stored
 * sealed ({@link SealedPersonalData}) and opened on read; `personal` reads as `null` once the
 * customer is forgotten (their key is deleted). Version 1, written by the previous release, stored
 * `name` and `email` in plain text beside `customerId`; it is upcast on read (customerUpcasters.ts)
 * and rewritten in place with both set to null when that customer is forgotten.
 *
 * `CustomerForgotten`: the customer asked to be forgotten (or an admin did it for them); their data
 * key is deleted and every copy of their personal data erased (customerErasure.ts). Read models that
 * copy personal data from the log null their copies when they see it.
 */
export type CustomerEvent =
  | { type: 'CustomerRegistered'; data: { customerId: string; personal: PersonalData | null } }
  | { type: 'CustomerForgotten'; data: { customerId: string } };

/**
 * Events of an email's claim stream (`CustomerEmail-<keyed hash of the address>`, see
 * `emailClaimHash`): the claim is appended together with the registration with the version read,
 * so two registrations of one email cannot both commit; forgetting the customer releases it, so
 * the address may register again.
 */
export type CustomerEmailEvent =
  { type: 'CustomerEmailClaimed'; data: { customerId: string } } | { type: 'CustomerEmailReleased'; data: { customerId: string } };

export type CustomerCommand =
  { type: 'RegisterCustomer'; customerId: string; name: string; email: string } | { type: 'ForgetCustomer'; customerId: string };

export interface CustomerState {
  exists: boolean;
  id: string;
  /** Null once forgotten (and for a customer whose key is gone). */
  name: string | null;
  email: string | null;
  forgotten: boolean;
  registeredAt: string;
}
