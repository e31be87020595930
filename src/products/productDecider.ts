import { assertNever, type Aggregate } from '../domain/aggregate.js';
import { InsufficientStockError, InvalidStateError, NotFoundError, SkuTakenError, ValidationError } from '../domain/errors.js';
import { MAX_INT32 } from '../domain/limits.js';
import { streamIds } from '../domain/streamIds.js';
import { availableStock, type ProductCommand, type ProductEvent, type ProductState } from './productEvents.js';

export const PRODUCT_STREAMS = streamIds('Product');

/** The Product aggregate: a catalog entry with its stock. */
export const productAggregate: Aggregate<ProductState, ProductEvent> = {
  streamType: PRODUCT_STREAMS.type,
  snapshotSchemaVersion: 1,
  initialState: () => ({ exists: false, sku: '', name: '', priceCents: 0, onHand: 0, reserved: 0 }),
  evolve: evolveProduct,
};

export const productStreamId = (sku: string): string => PRODUCT_STREAMS.of(sku);

/** Decides a product command: the events, or a typed rejection (thrown). */
export function decideProduct(command: ProductCommand, state: ProductState): ProductEvent[] {
  if (command.type === 'AddProduct') {
    if (state.exists) throw new SkuTakenError(command.sku);
    const { sku, name, priceCents, initialStock } = command;
    return [{ type: 'ProductAdded', data: { sku, name, priceCents, initialStock } }];
  }
  if (!state.exists) throw new NotFoundError('product not found');
  switch (command.type) {
    case 'RestockProduct':
      if (state.onHand + command.quantity > MAX_INT32) {
        throw new ValidationError([{ path: 'input.quantity', message: `stock on hand would exceed ${MAX_INT32} units` }]);
      }
      return [{ type: 'ProductRestocked', data: { quantity: command.quantity } }];
    case 'ReserveStock': {
      const available = availableStock(state);
      if (command.quantity > available) {
        throw new InsufficientStockError([{ sku: state.sku, requested: command.quantity, available }]);
      }
      return [{ type: 'StockReserved', data: { orderId: command.orderId, quantity: command.quantity } }];
    }
    case 'ReleaseStock':
      requireReserved(state, command.quantity);
      return [{ type: 'StockReleased', data: { orderId: command.orderId, quantity: command.quantity } }];
    case 'ShipStock':
      requireReserved(state, command.quantity);
      return [{ type: 'StockShipped', data: { orderId: command.orderId, quantity: command.quantity } }];
    default:
      return assertNever(command);
  }
}

/** Releasing or shipping more than is reserved would mean the order and product streams disagree. */
function requireReserved(state: ProductState, quantity: number): void {
  if (quantity > state.reserved) {
    throw new InvalidStateError(`product ${state.sku} has ${state.reserved} units reserved, cannot take ${quantity}`);
  }
}

export function evolveProduct(state: ProductState, event: ProductEvent): ProductState {
  switch (event.type) {
    case 'ProductAdded': {
      const { sku, name, priceCents, initialStock } = event.data;
      return { exists: true, sku, name, priceCents, onHand: initialStock, reserved: 0 };
    }
    case 'ProductRestocked':
      return { ...state, onHand: state.onHand + event.data.quantity };
    case 'StockReserved':
      return { ...state, reserved: state.reserved + event.data.quantity };
    case 'StockReleased':
      return { ...state, reserved: state.reserved - event.data.quantity };
    case 'StockShipped':
      return { ...state, onHand: state.onHand - event.data.quantity, reserved: state.reserved - event.data.quantity };
    default:
      return assertNever(event);
  }
}
