import { availableStock, type ProductState } from './productEvents.js';

/** A product as the API shows it (GraphQL `Product`). */
export interface ProductView {
  sku: string;
  name: string;
  priceCents: number;
  onHand: number;
  reserved: number;
  available: number;
}

export function productViewFromState(state: ProductState): ProductView {
  const { sku, name, priceCents, onHand, reserved } = state;
  return { sku, name, priceCents, onHand, reserved, available: availableStock(state) };
}

/** A row of the `inventory` read table as the API shows it. */
export function productViewFromRow(row: { sku: string; name: string; priceCents: number; onHand: number; reserved: number }): ProductView {
  const { sku, name, priceCents, onHand, reserved } = row;
  return { sku, name, priceCents, onHand, reserved, available: onHand - reserved };
}
