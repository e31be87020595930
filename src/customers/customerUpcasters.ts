import { defineUpcaster, type Upcaster } from '../eventStore/upcasting.js';
import type { PersonalData } from './customerEvents.js';

/** `CustomerRegistered` as the first release wrote it: personal data beside the id. */
export interface CustomerRegisteredV1 {
  customerId: string;
  name: string;
  email: string;
}

/**
 * `CustomerRegistered` version 2: personal data in one field, the unit that is protected and erased.
 * The log stores that field sealed under the customer's key (personalDataReads.ts opens it after
 * upcasting); an upcast version 1 event carries it in plain text until its customer is forgotten.
 */
export interface CustomerRegisteredV2 {
  customerId: string;
  personal: PersonalData;
}

/** v1 -> v2: `name` and `email` move under `personal`; nothing else changes. */
export const customerRegisteredV1ToV2 = defineUpcaster<CustomerRegisteredV1, CustomerRegisteredV2>(
  'CustomerRegistered',
  1,
  ({ customerId, name, email }) => ({
    customerId,
    personal: { name, email },
  }),
);

/** The customers slice's upcasters, oldest first per event type. */
export const customerUpcasters: readonly Upcaster[] = [customerRegisteredV1ToV2];
