import { describe, expect, it } from 'vitest';
import { EventUpcasters } from '../eventStore/upcasting.js';
import { customerRegisteredV1ToV2, customerUpcasters } from './customerUpcasters.js';

describe('customerRegisteredV1ToV2', () => {
  it('moves name and email under personal and keeps the customer id', () => {
    expect(customerRegisteredV1ToV2.upcast({ customerId: 'c1', name: 'Ada', email: 'Ada@Example.com' })).toEqual({
      customerId: 'c1',
      personal: { name: 'Ada', email: 'Ada@Example.com' },
    });
  });

  it('is pure: it leaves the stored payload as it was', () => {
    const stored = { customerId: 'c1', name: 'Ada', email: 'ada@example.com' };
    customerRegisteredV1ToV2.upcast(stored);
    expect(stored).toEqual({ customerId: 'c1', name: 'Ada', email: 'ada@example.com' });
  });

  it('makes version 2 the current version of CustomerRegistered', () => {
    expect(new EventUpcasters(customerUpcasters).currentVersion('CustomerRegistered')).toBe(2);
  });
});
