import type pg from 'pg';
import { occurredAtOf } from '../commands/loadAggregate.js';
import { assertNever } from '../domain/aggregate.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { loadRows, upsertRows } from '../projections/rows.js';
import type { ProductEvent } from './productEvents.js';
import { PRODUCT_STREAMS } from './productDecider.js';

/** A row of `inventory`. */
export interface InventoryRow {
  sku: string;
  name: string;
  price_cents: number;
  on_hand: number;
  reserved: number;
  updated_at: string;
  last_position: bigint;
}

export const INVENTORY_EVENT_TYPES = [
  'ProductAdded',
  'ProductRestocked',
  'StockReserved',
  'StockReleased',
  'StockShipped',
] as const satisfies readonly ProductEvent['type'][];

const skuOf = (event: RecordedEvent): string => PRODUCT_STREAMS.idOf(event.streamId);

/** Applies product events to inventory rows in memory; returns the events that changed a row. */
export function applyInventoryEvents(rows: Map<string, InventoryRow>, events: RecordedEvent[]): RecordedEvent[] {
  const changed: RecordedEvent[] = [];
  for (const event of events) {
    const sku = skuOf(event);
    const row = rows.get(sku);
    if (row && event.position <= row.last_position) continue;
    const e = event as unknown as ProductEvent;
    if (!row && e.type !== 'ProductAdded') continue;
    const stamp = { updated_at: occurredAtOf(event), last_position: event.position };
    switch (e.type) {
      case 'ProductAdded':
        rows.set(sku, { sku, name: e.data.name, price_cents: e.data.priceCents, on_hand: e.data.initialStock, reserved: 0, ...stamp });
        break;
      case 'ProductRestocked':
        rows.set(sku, { ...row!, on_hand: row!.on_hand + e.data.quantity, ...stamp });
        break;
      case 'StockReserved':
        rows.set(sku, { ...row!, reserved: row!.reserved + e.data.quantity, ...stamp });
        break;
      case 'StockReleased':
        rows.set(sku, { ...row!, reserved: row!.reserved - e.data.quantity, ...stamp });
        break;
      case 'StockShipped':
        rows.set(sku, { ...row!, on_hand: row!.on_hand - e.data.quantity, reserved: row!.reserved - e.data.quantity, ...stamp });
        break;
      default:
        assertNever(e);
    }
    changed.push(event);
  }
  return changed;
}

type StoredRow = Omit<InventoryRow, 'updated_at' | 'last_position'> & { updated_at: Date; last_position: string };

/** Projection `inventory`: stock per product. */
export const inventoryProjection: Projection = {
  name: 'inventory',
  version: 1,
  eventTypes: INVENTORY_EVENT_TYPES,
  tables: ['inventory'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const rows = new Map<string, InventoryRow>();
    for (const row of await loadRows<StoredRow>(tx, 'inventory', 'sku', [...new Set(events.map(skuOf))])) {
      rows.set(row.sku, { ...row, updated_at: row.updated_at.toISOString(), last_position: BigInt(row.last_position) });
    }
    const changed = applyInventoryEvents(rows, events);
    const touched = [...new Set(changed.map(skuOf))];
    await upsertRows(tx, 'inventory', COLUMNS, ['sku'], touched.map((sku) => rows.get(sku)!) as never);
  },
};

const COLUMNS = {
  sku: 'text',
  name: 'text',
  price_cents: 'int',
  on_hand: 'int',
  reserved: 'int',
  updated_at: 'timestamptz',
  last_position: 'bigint',
};
