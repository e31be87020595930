import type { LiveSource } from '../live/liveSource.js';
import { productViewFromRow, type ProductView } from './productView.js';

/** A product whose stock or catalog entry changed, as the inventory read table now has it. */
export interface InventoryChange {
  position: bigint;
  sku: string;
  product: ProductView;
}

/** Every product row the inventory projection changed: `product` and `product:<sku>`. */
export const inventoryLiveSource: LiveSource<InventoryChange> = {
  projection: 'inventory',
  kind: 'product',
  async read(db, after, upTo) {
    // The whole row, once per batch: every subscriber to a product gets the same object.
    const { rows } = await db.pool.query<{
      sku: string;
      name: string;
      price_cents: number;
      on_hand: number;
      reserved: number;
      last_position: string;
    }>({
      name: 'live-inventory-changes',
      text: 'SELECT sku, name, price_cents, on_hand, reserved, last_position::text FROM inventory WHERE last_position > $1 AND last_position <= $2 ORDER BY last_position',
      values: [after.toString(), upTo.toString()],
    });
    return rows.map((row) => {
      const product = productViewFromRow({
        sku: row.sku,
        name: row.name,
        priceCents: row.price_cents,
        onHand: row.on_hand,
        reserved: row.reserved,
      });
      return { key: row.sku, position: BigInt(row.last_position), change: { position: BigInt(row.last_position), sku: row.sku, product } };
    });
  },
};
