import { integrationEventsOf } from '../integrationEvents/integrationEvents.js';
import { PRODUCT_STREAMS } from './productDecider.js';
import type { ProductEvent } from './productEvents.js';

/** How a stock movement is named in `stock_changed`. */
const stockChange = (change: 'RESERVED' | 'RELEASED' | 'SHIPPED') => ({
  type: 'ordersource.product.stock_changed.v1',
  data: (d: { orderId: string; quantity: number }, sku: string) => ({ sku, change, orderId: d.orderId, quantity: d.quantity }),
});

/**
 * The product's integration events (README "Integration events"): the catalog entry without its
 * name, restocks, and every movement of reserved or shipped stock as one `stock_changed` type.
 */
export const productIntegrationEvents = integrationEventsOf<ProductEvent>(
  {
    ProductAdded: {
      type: 'ordersource.product.added.v1',
      data: (d) => ({ sku: d.sku, priceCents: d.priceCents, initialStock: d.initialStock }),
    },
    ProductRestocked: { type: 'ordersource.product.restocked.v1', data: (d, sku) => ({ sku, quantity: d.quantity }) },
    StockReserved: stockChange('RESERVED'),
    StockReleased: stockChange('RELEASED'),
    StockShipped: stockChange('SHIPPED'),
  },
  PRODUCT_STREAMS.idOf,
);
