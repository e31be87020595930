import { describe, expect, it } from 'vitest';
import { applyOrderEvents } from './orderReadModel.js';
import type { OrderEvent } from './orderEvents.js';
import {
  at,
  created,
  added,
  removed,
  submitted,
  paid,
  shipped,
  delivered,
  cancelled,
  refunded,
  stream,
  emptyRows,
  fold,
} from './orderReadModelFixtures.js';

describe('the orders read model fold', () => {
  it('creates a DRAFT summary with no lines and zero totals from OrderCreated', () => {
    const { rows, history, changed } = fold(stream('o1', 7, created('c-9')));
    expect(rows.summaries.get('o1')).toEqual({
      order_id: 'o1',
      customer_id: 'c-9',
      status: 'DRAFT',
      total_cents: 0,
      item_count: 0,
      version: 1,
      created_at: at(7),
      updated_at: at(7),
      last_position: 7n,
      customer_name: null,
    });
    expect(rows.lines.get('o1')).toEqual([]);
    expect(history).toHaveLength(1);
    expect(changed.map((e) => e.position)).toEqual([7n]);
  });

  it('keeps lines in the order their skus were first added and merges a repeated sku into its line', () => {
    const { rows } = fold(
      stream('o1', 1, created(), added('A', 2, 250), added('B', 1, 1000), added('A', 1, 999, 'renamed'), added('C', 4, 75)),
    );
    expect(rows.lines.get('o1')).toEqual([
      { order_id: 'o1', sku: 'A', name: 'A name', quantity: 3, unit_price_cents: 250, line_no: 1 },
      { order_id: 'o1', sku: 'B', name: 'B name', quantity: 1, unit_price_cents: 1000, line_no: 2 },
      { order_id: 'o1', sku: 'C', name: 'C name', quantity: 4, unit_price_cents: 75, line_no: 3 },
    ]);
    expect(rows.summaries.get('o1')).toMatchObject({
      total_cents: 3 * 250 + 1000 + 4 * 75,
      item_count: 8,
      version: 5,
      updated_at: at(5),
      created_at: at(1),
      last_position: 5n,
    });
  });

  it("lowers a line on ItemRemoved, drops it at zero, keeps the others' numbers and numbers a new line after the highest", () => {
    const { rows } = fold(
      stream(
        'o1',
        1,
        created(),
        added('A', 2, 100),
        added('B', 3, 10),
        added('C', 1, 1),
        removed('B', 1),
        removed('A', 2),
        added('D', 5, 2),
      ),
    );
    expect(rows.lines.get('o1')!.map((l) => [l.sku, l.quantity, l.line_no])).toEqual([
      ['B', 2, 2],
      ['C', 1, 3],
      ['D', 5, 4],
    ]);
    expect(rows.summaries.get('o1')).toMatchObject({ total_cents: 2 * 10 + 1 + 5 * 2, item_count: 8, version: 7 });
  });

  it('leaves an empty order with no lines and zero totals once every item is removed', () => {
    const { rows } = fold(stream('o1', 1, created(), added('A', 2, 100), removed('A', 2)));
    expect(rows.lines.get('o1')).toEqual([]);
    expect(rows.summaries.get('o1')).toMatchObject({ total_cents: 0, item_count: 0, status: 'DRAFT', version: 3 });
  });

  it('moves the status through SUBMITTED, PAID, SHIPPED and DELIVERED, keeping lines, totals and the creation time', () => {
    const events = stream('o1', 20, created(), added('A', 2, 300), submitted, paid(600), shipped, delivered);
    const rows = emptyRows();
    const seen: [string, number][] = [];
    for (const event of events) {
      applyOrderEvents(rows, [event]);
      const s = rows.summaries.get('o1')!;
      seen.push([s.status, s.version]);
      expect(s).toMatchObject({
        total_cents: s.version >= 2 ? 600 : 0,
        created_at: at(20),
        updated_at: at(Number(event.position)),
        last_position: event.position,
      });
    }
    expect(seen).toEqual([
      ['DRAFT', 1],
      ['DRAFT', 2],
      ['SUBMITTED', 3],
      ['PAID', 4],
      ['SHIPPED', 5],
      ['DELIVERED', 6],
    ]);
    expect(rows.lines.get('o1')).toHaveLength(1);
  });

  it('cancels from any open status and records a refund without changing status or totals', () => {
    for (const before of [[], [submitted], [submitted, paid(500)]] as OrderEvent[][]) {
      const previous = before.length === 0 ? 'DRAFT' : before.length === 1 ? 'SUBMITTED' : 'PAID';
      const tail = previous === 'PAID' ? [cancelled(previous), refunded(500)] : [cancelled(previous)];
      const { rows, history } = fold(stream('o1', 1, created(), added('A', 5, 100), ...before, ...tail));
      expect(rows.summaries.get('o1')).toMatchObject({
        status: 'CANCELLED',
        total_cents: 500,
        item_count: 5,
        version: 2 + before.length + tail.length,
      });
      expect(history.map((h) => h.type).slice(-tail.length)).toEqual(tail.map((e) => e.type));
    }
  });
});
