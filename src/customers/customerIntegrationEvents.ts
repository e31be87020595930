import { integrationEventsOf } from '../integrationEvents/integrationEvents.js';
import { CUSTOMER_STREAMS } from './customerDecider.js';
import type { CustomerEvent } from './customerEvents.js';

/**
 * The customer's integration events (README "Integration events"): the customer id only. Their
 * name and email never leave: a receiver that needs them asks the API, which stops answering with
 * them once the customer is forgotten.
 */
export const customerIntegrationEvents = integrationEventsOf<CustomerEvent>(
  {
    CustomerRegistered: { type: 'ordersource.customer.registered.v1', data: (d) => ({ customerId: d.customerId }) },
    CustomerForgotten: { type: 'ordersource.customer.forgotten.v1', data: (d) => ({ customerId: d.customerId }) },
  },
  CUSTOMER_STREAMS.idOf,
);
