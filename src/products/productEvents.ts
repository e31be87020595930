/** Events of the Product stream (`Product-<sku>`): the catalog entry and its stock. */
export type ProductEvent =
  | { type: 'ProductAdded'; data: { sku: string; name: string; priceCents: number; initialStock: number } }
  | { type: 'ProductRestocked'; data: { quantity: number } }
  | { type: 'StockReserved'; data: { orderId: string; quantity: number } }
  | { type: 'StockReleased'; data: { orderId: string; quantity: number } }
  | { type: 'StockShipped'; data: { orderId: string; quantity: number } };

export type ProductEventType = ProductEvent['type'];

export type ProductCommand =
  | { type: 'AddProduct'; sku: string; name: string; priceCents: number; initialStock: number }
  | { type: 'RestockProduct'; quantity: number }
  | { type: 'ReserveStock'; orderId: string; quantity: number }
  | { type: 'ReleaseStock'; orderId: string; quantity: number }
  | { type: 'ShipStock'; orderId: string; quantity: number };

/**
 * `onHand` is what is in the warehouse; `reserved` is promised to submitted orders and leaves the
 * warehouse when they ship. What can still be sold is `onHand - reserved`.
 */
export interface ProductState {
  exists: boolean;
  sku: string;
  name: string;
  priceCents: number;
  onHand: number;
  reserved: number;
}

export const availableStock = (state: ProductState): number => state.onHand - state.reserved;
