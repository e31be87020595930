import { describe, expect, it } from 'vitest';
import { busSubjectOf } from './busSubjects.js';

describe('busSubjectOf', () => {
  it('drops the version from the integration event type', () => {
    expect(busSubjectOf('ordersource.order.paid.v1')).toBe('ordersource.order.paid');
    expect(busSubjectOf('ordersource.order.item_added.v1')).toBe('ordersource.order.item_added');
    expect(busSubjectOf('ordersource.product.stock_changed.v12')).toBe('ordersource.product.stock_changed');
  });
});
