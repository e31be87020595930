import { describe, expect, it } from 'vitest';
import { InsufficientStockError, InvalidStateError, NotFoundError, SkuTakenError, ValidationError } from '../domain/errors.js';
import { deciderSpec, foldEvents } from '../domain/testing/givenWhenThen.js';
import { decideProduct, evolveProduct, productAggregate, productStreamId } from './productDecider.js';
import { availableStock, type ProductCommand, type ProductEvent } from './productEvents.js';

const given = deciderSpec(productAggregate, decideProduct);
const fold = (...events: ProductEvent[]) => foldEvents(productAggregate, events);

const sku = 'WID-1';

// --- Past events -------------------------------------------------------------------------------

const added = (initialStock = 10): ProductEvent => ({ type: 'ProductAdded', data: { sku, name: 'Widget', priceCents: 250, initialStock } });
const restocked = (quantity: number): ProductEvent => ({ type: 'ProductRestocked', data: { quantity } });
const reserved = (orderId: string, quantity: number): ProductEvent => ({ type: 'StockReserved', data: { orderId, quantity } });
const released = (orderId: string, quantity: number): ProductEvent => ({ type: 'StockReleased', data: { orderId, quantity } });
const shipped = (orderId: string, quantity: number): ProductEvent => ({ type: 'StockShipped', data: { orderId, quantity } });

// --- Commands ----------------------------------------------------------------------------------

const addProduct = (initialStock = 10): ProductCommand => ({ type: 'AddProduct', sku, name: 'Widget', priceCents: 250, initialStock });
const restock = (quantity: number): ProductCommand => ({ type: 'RestockProduct', quantity });
const reserve = (orderId: string, quantity: number): ProductCommand => ({ type: 'ReserveStock', orderId, quantity });
const release = (orderId: string, quantity: number): ProductCommand => ({ type: 'ReleaseStock', orderId, quantity });
const ship = (orderId: string, quantity: number): ProductCommand => ({ type: 'ShipStock', orderId, quantity });

describe('decideProduct', () => {
  describe('addProduct', () => {
    it('adds a new product with its name, price and initial stock', () => {
      given()
        .when({ type: 'AddProduct', sku: 'GAD-1', name: 'Gadget', priceCents: 1999, initialStock: 3 })
        .thenEmits([{ type: 'ProductAdded', data: { sku: 'GAD-1', name: 'Gadget', priceCents: 1999, initialStock: 3 } }]);
    });

    it('adds a product with no initial stock', () => {
      given()
        .when(addProduct(0))
        .thenEmits([{ type: 'ProductAdded', data: { sku, name: 'Widget', priceCents: 250, initialStock: 0 } }]);
    });

    it('rejects adding a sku that already exists with SKU_TAKEN, naming the sku', () => {
      const error = given(added()).when(addProduct()).thenRejects(SkuTakenError, 'SKU_TAKEN');
      expect(error.sku).toBe(sku);
    });

    it('rejects adding a sku that exists with stock movements with SKU_TAKEN', () => {
      given(added(), reserved('order-a', 2), shipped('order-a', 2)).when(addProduct(50)).thenRejects(SkuTakenError, 'SKU_TAKEN');
    });
  });

  describe('commands on a product that does not exist', () => {
    it.each([
      ['restocking', restock(5)],
      ['reserving stock of', reserve('order-a', 1)],
      ['releasing stock of', release('order-a', 1)],
      ['shipping stock of', ship('order-a', 1)],
    ])('rejects %s an unknown product with NOT_FOUND', (_action, command) => {
      given().when(command).thenRejects(NotFoundError, 'NOT_FOUND');
    });
  });

  describe('restockProduct', () => {
    it('restocks an existing product by the quantity', () => {
      given(added())
        .when(restock(5))
        .thenEmits([{ type: 'ProductRestocked', data: { quantity: 5 } }]);
    });

    it('rejects a restock that would take stock on hand past the largest GraphQL Int with VALIDATION_FAILED', () => {
      const error = given(added(2_147_483_000)).when(restock(1000)).thenRejects(ValidationError, 'VALIDATION_FAILED');
      expect(error.fieldErrors).toStrictEqual([{ path: 'input.quantity', message: expect.stringContaining('2147483647') }]);
    });

    it('adds the restocked quantity to what is on hand', () => {
      expect(fold(added(10), restocked(5))).toMatchObject({ onHand: 15, reserved: 0 });
      expect(availableStock(fold(added(10), restocked(5), restocked(7)))).toBe(22);
    });

    it('makes restocked units available to reserve', () => {
      given(added(10), reserved('order-a', 10), restocked(5))
        .when(reserve('order-b', 5))
        .thenEmits([{ type: 'StockReserved', data: { orderId: 'order-b', quantity: 5 } }]);
    });
  });

  describe('reserveStock', () => {
    it('reserves a quantity within what is available', () => {
      given(added(10))
        .when(reserve('order-a', 4))
        .thenEmits([{ type: 'StockReserved', data: { orderId: 'order-a', quantity: 4 } }]);
    });

    it('reserves exactly all that is available', () => {
      given(added(10))
        .when(reserve('order-a', 10))
        .thenEmits([{ type: 'StockReserved', data: { orderId: 'order-a', quantity: 10 } }]);
    });

    it('rejects reserving more than is available with INSUFFICIENT_STOCK, listing the shortage', () => {
      const error = given(added(10)).when(reserve('order-a', 11)).thenRejects(InsufficientStockError, 'INSUFFICIENT_STOCK');
      expect(error.shortages).toStrictEqual([{ sku, requested: 11, available: 10 }]);
    });

    it('rejects reserving from a product without stock with INSUFFICIENT_STOCK', () => {
      const error = given(added(0)).when(reserve('order-a', 1)).thenRejects(InsufficientStockError, 'INSUFFICIENT_STOCK');
      expect(error.shortages).toStrictEqual([{ sku, requested: 1, available: 0 }]);
    });

    it('counts what other orders reserved as unavailable', () => {
      const error = given(added(10), reserved('order-a', 4))
        .when(reserve('order-b', 7))
        .thenRejects(InsufficientStockError, 'INSUFFICIENT_STOCK');
      expect(error.shortages).toStrictEqual([{ sku, requested: 7, available: 6 }]);
    });

    it('reserves exactly what other reservations left available', () => {
      given(added(10), reserved('order-a', 4))
        .when(reserve('order-b', 6))
        .thenEmits([{ type: 'StockReserved', data: { orderId: 'order-b', quantity: 6 } }]);
    });

    it('counts released units as available again', () => {
      given(added(10), reserved('order-a', 10), released('order-a', 3))
        .when(reserve('order-b', 3))
        .thenEmits([{ type: 'StockReserved', data: { orderId: 'order-b', quantity: 3 } }]);
    });

    it('does not count shipped units as available again', () => {
      const error = given(added(10), reserved('order-a', 10), shipped('order-a', 10))
        .when(reserve('order-b', 1))
        .thenRejects(InsufficientStockError, 'INSUFFICIENT_STOCK');
      expect(error.shortages).toStrictEqual([{ sku, requested: 1, available: 0 }]);
    });
  });

  describe('releaseStock', () => {
    it('releases reserved units', () => {
      given(added(10), reserved('order-a', 4))
        .when(release('order-a', 4))
        .thenEmits([{ type: 'StockReleased', data: { orderId: 'order-a', quantity: 4 } }]);
    });

    it('releases part of what is reserved', () => {
      given(added(10), reserved('order-a', 4))
        .when(release('order-a', 1))
        .thenEmits([{ type: 'StockReleased', data: { orderId: 'order-a', quantity: 1 } }]);
    });

    it('rejects releasing more than is reserved with INVALID_STATE', () => {
      given(added(10), reserved('order-a', 4)).when(release('order-a', 5)).thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects releasing when nothing is reserved with INVALID_STATE', () => {
      given(added(10)).when(release('order-a', 1)).thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects releasing units that were already shipped with INVALID_STATE', () => {
      given(added(10), reserved('order-a', 4), shipped('order-a', 4))
        .when(release('order-a', 4))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });

  describe('shipStock', () => {
    it('ships reserved units', () => {
      given(added(10), reserved('order-a', 4))
        .when(ship('order-a', 4))
        .thenEmits([{ type: 'StockShipped', data: { orderId: 'order-a', quantity: 4 } }]);
    });

    it('rejects shipping more than is reserved with INVALID_STATE', () => {
      given(added(10), reserved('order-a', 4)).when(ship('order-a', 5)).thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects shipping unreserved stock with INVALID_STATE even when it is on hand', () => {
      given(added(10)).when(ship('order-a', 1)).thenRejects(InvalidStateError, 'INVALID_STATE');
    });

    it('rejects shipping units that were released with INVALID_STATE', () => {
      given(added(10), reserved('order-a', 4), released('order-a', 4))
        .when(ship('order-a', 4))
        .thenRejects(InvalidStateError, 'INVALID_STATE');
    });
  });
});

describe('evolveProduct', () => {
  it('starts from a product that does not exist', () => {
    expect(productAggregate.initialState()).toStrictEqual({ exists: false, sku: '', name: '', priceCents: 0, onHand: 0, reserved: 0 });
    expect(productAggregate.streamType).toBe('Product');
    expect(productStreamId(sku)).toBe('Product-WID-1');
  });

  it('adds the product with its initial stock on hand and nothing reserved', () => {
    expect(fold(added(10))).toStrictEqual({ exists: true, sku, name: 'Widget', priceCents: 250, onHand: 10, reserved: 0 });
  });

  it('reduces availability by reservations without changing what is on hand', () => {
    const state = fold(added(10), reserved('order-a', 4), reserved('order-b', 3));
    expect(state).toMatchObject({ onHand: 10, reserved: 7 });
    expect(availableStock(state)).toBe(3);
  });

  it('reduces what is reserved on a release, making it available again', () => {
    const state = fold(added(10), reserved('order-a', 4), released('order-a', 3));
    expect(state).toMatchObject({ onHand: 10, reserved: 1 });
    expect(availableStock(state)).toBe(9);
  });

  it('reduces both what is on hand and what is reserved on a shipment, leaving availability unchanged', () => {
    const before = fold(added(10), reserved('order-a', 4));
    const after = fold(added(10), reserved('order-a', 4), shipped('order-a', 4));
    expect(after).toMatchObject({ onHand: 6, reserved: 0 });
    expect(availableStock(after)).toBe(availableStock(before));
    expect(availableStock(after)).toBe(6);
  });

  it('follows a whole stock history', () => {
    const state = fold(
      added(5),
      restocked(10),
      reserved('order-a', 6),
      reserved('order-b', 4),
      shipped('order-a', 6),
      released('order-b', 4),
      restocked(1),
    );
    expect(state).toMatchObject({ onHand: 10, reserved: 0 });
    expect(availableStock(state)).toBe(10);
  });

  it('does not change the state it folds into', () => {
    const before = fold(added(10), reserved('order-a', 4));
    const copy = structuredClone(before);
    evolveProduct(before, restocked(5));
    evolveProduct(before, reserved('order-b', 1));
    evolveProduct(before, released('order-a', 1));
    evolveProduct(before, shipped('order-a', 1));
    expect(before).toStrictEqual(copy);
  });
});
