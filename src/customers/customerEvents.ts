/** Events of the Customer stream (`Customer-<customerId>`). */
export type CustomerEvent = { type: 'CustomerRegistered'; data: { customerId: string; name: string; email: string } };

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
