import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore/types.js';
import { applyInventoryEvents, type InventoryRow } from './inventoryProjection.js';
import type { ProductEvent } from './productEvents.js';

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

function recorded(sku: string, position: number, version: number, event: ProductEvent): RecordedEvent {
  return {
    position: BigInt(position),
    streamId: `Product-${sku}`,
    streamType: 'Product',
    version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: { occurredAt: at(position) },
    recordedAt: new Date(Date.UTC(2030, 0, 1)),
  };
}

const productAdded = (sku: string, initialStock: number, priceCents = 250): ProductEvent => ({
  type: 'ProductAdded',
  data: { sku, name: `${sku} name`, priceCents, initialStock },
});
const restocked = (quantity: number): ProductEvent => ({ type: 'ProductRestocked', data: { quantity } });
const reserved = (quantity: number, orderId = 'o1'): ProductEvent => ({ type: 'StockReserved', data: { orderId, quantity } });
const released = (quantity: number, orderId = 'o1'): ProductEvent => ({ type: 'StockReleased', data: { orderId, quantity } });
const shipped = (quantity: number, orderId = 'o1'): ProductEvent => ({ type: 'StockShipped', data: { orderId, quantity } });

function stream(sku: string, firstPosition: number, ...events: ProductEvent[]): RecordedEvent[] {
  return events.map((e, i) => recorded(sku, firstPosition + i, i + 1, e));
}

describe('the inventory fold', () => {
  it('creates a row from ProductAdded with the initial stock on hand and nothing reserved', () => {
    const rows = new Map<string, InventoryRow>();
    const changed = applyInventoryEvents(rows, stream('A', 3, productAdded('A', 10, 1250)));
    expect(rows.get('A')).toEqual({
      sku: 'A',
      name: 'A name',
      price_cents: 1250,
      on_hand: 10,
      reserved: 0,
      updated_at: at(3),
      last_position: 3n,
    });
    expect(changed.map((e) => e.type)).toEqual(['ProductAdded']);
  });

  it('adds restocks to stock on hand', () => {
    const rows = new Map<string, InventoryRow>();
    applyInventoryEvents(rows, stream('A', 1, productAdded('A', 10), restocked(5), restocked(1)));
    expect(rows.get('A')).toMatchObject({ on_hand: 16, reserved: 0, updated_at: at(3), last_position: 3n });
  });

  it('reserves, releases and ships stock: shipping takes it off the shelf and out of the reservation', () => {
    const rows = new Map<string, InventoryRow>();
    const steps: [ProductEvent, number, number][] = [
      [productAdded('A', 10), 10, 0],
      [reserved(3), 10, 3],
      [reserved(4, 'o2'), 10, 7],
      [released(4, 'o2'), 10, 3],
      [shipped(3), 7, 0],
      [restocked(2), 9, 0],
    ];
    steps.forEach(([event, onHand, held], i) => {
      applyInventoryEvents(rows, [recorded('A', 100 + i, i + 1, event)]);
      expect(rows.get('A'), event.type).toMatchObject({
        on_hand: onHand,
        reserved: held,
        last_position: BigInt(100 + i),
        updated_at: at(100 + i),
      });
    });
  });

  it('keeps the products of one batch apart and returns every event that changed a row, in order', () => {
    const rows = new Map<string, InventoryRow>();
    const events = [
      recorded('A', 1, 1, productAdded('A', 5)),
      recorded('B', 2, 1, productAdded('B', 1, 99)),
      recorded('A', 3, 2, reserved(2)),
      recorded('B', 4, 2, restocked(9)),
    ];
    expect(applyInventoryEvents(rows, events)).toEqual(events);
    expect(rows.get('A')).toMatchObject({ on_hand: 5, reserved: 2, price_cents: 250 });
    expect(rows.get('B')).toMatchObject({ on_hand: 10, reserved: 0, price_cents: 99 });
  });

  it('changes nothing when the same events are applied twice', () => {
    const rows = new Map<string, InventoryRow>();
    const events = [
      ...stream('A', 1, productAdded('A', 10), reserved(3), shipped(3), restocked(4)),
      ...stream('B', 5, productAdded('B', 2), reserved(1), released(1)),
    ];
    applyInventoryEvents(rows, events);
    const afterFirst = structuredClone(rows);
    expect(applyInventoryEvents(rows, events)).toEqual([]);
    expect(rows).toEqual(afterFirst);
  });

  it("skips events at or below the row's last position and applies the ones after it", () => {
    const rows = new Map<string, InventoryRow>([
      ['A', { sku: 'A', name: 'A', price_cents: 100, on_hand: 10, reserved: 2, updated_at: at(0), last_position: 50n }],
    ]);
    const changed = applyInventoryEvents(rows, [
      recorded('A', 49, 4, restocked(100)),
      recorded('A', 50, 5, reserved(1)),
      recorded('A', 51, 6, reserved(3)),
    ]);
    expect(changed.map((e) => e.position)).toEqual([51n]);
    expect(rows.get('A')).toMatchObject({ on_hand: 10, reserved: 5, last_position: 51n });
  });

  it('ignores stock events of a product it has no row for (its ProductAdded was skipped)', () => {
    const rows = new Map<string, InventoryRow>();
    expect(applyInventoryEvents(rows, [recorded('X', 1, 2, restocked(5)), recorded('X', 2, 3, reserved(1))])).toEqual([]);
    expect(rows.size).toBe(0);
  });
});
