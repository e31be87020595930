import { defineUpcaster, type Upcaster } from '../eventStore/upcasting.js';
import type { PersonalData } from './customerEvents.js';

/** `CustomerRegistered` as the first release wrote it: personal data beside the id. */
export interface CustomerRegisteredV1 {
  customerId: string;
  name: string;
  email: string;
}

/** `CustomerRegistered` version 2: personal data in one field, the unit that is protected and erased. */
export interface CustomerRegisteredV2 {
  customerId: string;
  personal: PersonalData;
}

/** v1 -> v2: `name` and `email` move under `personal`; nothing else changes. */
export const customerRegisteredV1ToV2 = defineUpcaster<CustomerRegisteredV1, CustomerRegisteredV2>('CustomerRegistered', 1, ({ customerId, name, email }) => ({
  customerId,
  personal: { name, email },
}));

/** The customers slice's upcasters, oldest first per event type. */
export const customerUpcasters: readonly Upcaster[] = [customerRegisteredV1ToV2];
