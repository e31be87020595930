import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, SHORTAGES, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

async function customerWithDraftOrder(sku: string, quantity: number) {
  const email = `${unique('c')}@example.com`;
  const registered = await command(staff, 'registerCustomer', { name: 'Buyer', email });
  const customer = await clientAs(server, 'customer', registered.customer.id);
  const orderId = newOrderId();
  await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(customer, 'addItem', { orderId, sku, quantity });
  return { customer, orderId };
}

describe('idempotency over HTTP', () => {
  it('answers a repeated commandId with the first result and appends nothing', async () => {
    const sku = unique('SKU');
    const input = { sku, name: 'Lamp', priceCents: 4200, initialStock: 3, commandId: unique('cmd') };
    const first = await command(staff, 'addProduct', input);
    const again = await command(staff, 'addProduct', input);
    expect(first.__typename).toBe('AddProductSuccess');
    expect(again).toEqual(first);
    const restocked = await command(staff, 'restockProduct', { sku, quantity: 1 });
    expect(restocked).toMatchObject({ version: 2, product: { onHand: 4 } });
  });

  it('answers a repeated submit with the first success even though submitting again would now be INVALID_STATE', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Chair', priceCents: 5000, initialStock: 5 });
    const { customer, orderId } = await customerWithDraftOrder(sku, 2);
    const commandId = unique('submit');
    const first = await command(customer, 'submitOrder', { orderId, commandId });
    const again = await command(customer, 'submitOrder', { orderId, commandId });
    expect(first.__typename).toBe('SubmitOrderSuccess');
    expect(again).toEqual(first);
    expect((await command(customer, 'submitOrder', { orderId })).code).toBe('INVALID_STATE');
  });

  it('rejects a commandId reused with a different input with IDEMPOTENCY_KEY_REUSED', async () => {
    const commandId = unique('cmd');
    await command(staff, 'addProduct', { sku: unique('SKU'), name: 'A', priceCents: 100, initialStock: 1, commandId });
    const reused = await command(staff, 'addProduct', { sku: unique('SKU'), name: 'B', priceCents: 100, initialStock: 1, commandId });
    expect(reused).toMatchObject({ __typename: 'IdempotencyKeyReusedError', code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it("keeps two callers' equal commandIds apart: neither is told the other used it, and each command runs", async () => {
    const commandId = unique('cmd');
    const other = await clientAs(server, 'staff', 'bob');
    const mine = await command(staff, 'addProduct', { sku: unique('SKU'), name: 'Mine', priceCents: 100, initialStock: 1, commandId });
    const theirs = await command(other, 'addProduct', { sku: unique('SKU'), name: 'Theirs', priceCents: 200, initialStock: 1, commandId });
    expect(theirs).toMatchObject({ __typename: 'AddProductSuccess', product: { name: 'Theirs' } });
    expect(theirs.aggregateId).not.toBe(mine.aggregateId);
    // Each caller's repeat still answers its own first result.
    expect(
      await command(staff, 'addProduct', { sku: mine.aggregateId, name: 'Mine', priceCents: 100, initialStock: 1, commandId }),
    ).toEqual(mine);
    expect(
      await command(other, 'addProduct', { sku: theirs.aggregateId, name: 'Theirs', priceCents: 200, initialStock: 1, commandId }),
    ).toEqual(theirs);
  });

  it("keeps a customer's commandId from anyone else: another customer taking it first does not block it", async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Bench', priceCents: 1000, initialStock: 10 });
    const [a, b] = await Promise.all([customerWithDraftOrder(sku, 1), customerWithDraftOrder(sku, 1)]);
    const commandId = 'submit-1';
    expect(await command(b.customer, 'submitOrder', { orderId: b.orderId, commandId })).toMatchObject({ __typename: 'SubmitOrderSuccess' });
    expect(await command(a.customer, 'submitOrder', { orderId: a.orderId, commandId })).toMatchObject({
      __typename: 'SubmitOrderSuccess',
      aggregateId: a.orderId,
    });
  });

  it('appends once when the same commandId arrives 8 times at once', async () => {
    const sku = unique('SKU');
    const input = { sku, name: 'Desk', priceCents: 9900, initialStock: 2, commandId: unique('cmd') };
    const results = await Promise.all(Array.from({ length: 8 }, () => command(staff, 'addProduct', input)));
    expect(results.map((r) => r.__typename)).toEqual(Array(8).fill('AddProductSuccess'));
    expect(new Set(results.map((r) => r.position)).size).toBe(1);
    const restocked = await command(staff, 'restockProduct', { sku, quantity: 1 });
    expect(restocked.version).toBe(2);
  });
});

describe('optimistic concurrency over HTTP', () => {
  it('rejects a stale expectedVersion with CONCURRENCY_CONFLICT carrying expected and actual versions', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Rug', priceCents: 700, initialStock: 9 });
    const { customer, orderId } = await customerWithDraftOrder(sku, 1);
    const stale = await command(customer, 'addItem', { orderId, sku, quantity: 1, expectedVersion: 1 });
    expect(stale).toMatchObject({
      __typename: 'ConcurrencyConflictError',
      code: 'CONCURRENCY_CONFLICT',
      expectedVersion: 1,
      actualVersion: 2,
    });
    const current = await command(customer, 'addItem', { orderId, sku, quantity: 1, expectedVersion: 2 });
    expect(current).toMatchObject({ __typename: 'AddItemSuccess', version: 3 });
  });

  it('never oversells: of 30 concurrent submits competing for 10 units, exactly 10 succeed and 20 get INSUFFICIENT_STOCK', async () => {
    const sku = unique('HOT');
    await command(staff, 'addProduct', { sku, name: 'Limited edition', priceCents: 1000, initialStock: 10 });
    const buyers = await Promise.all(Array.from({ length: 30 }, () => customerWithDraftOrder(sku, 1)));
    const results = await Promise.all(buyers.map(({ customer, orderId }) => command(customer, 'submitOrder', { orderId }, SHORTAGES)));
    const codes = results.map((r) => r.code ?? r.__typename);
    expect(codes.filter((c) => c === 'SubmitOrderSuccess')).toHaveLength(10);
    expect(codes.filter((c) => c === 'INSUFFICIENT_STOCK')).toHaveLength(20);
    expect(results.find((r) => r.code === 'INSUFFICIENT_STOCK')!.shortages).toEqual([{ sku, requested: 1, available: 0 }]);
    const product = await command(staff, 'restockProduct', { sku, quantity: 1 });
    expect(product.product).toMatchObject({ onHand: 11, reserved: 10, available: 1 });
  });

  it('keeps every concurrent addItem on one order (retrying conflicts on fresh state when no expectedVersion is given)', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Bolt', priceCents: 5, initialStock: 1000 });
    const { customer, orderId } = await customerWithDraftOrder(sku, 1);
    const results = await Promise.all(Array.from({ length: 12 }, () => command(customer, 'addItem', { orderId, sku, quantity: 2 })));
    expect(results.every((r) => r.__typename === 'AddItemSuccess')).toBe(true);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 3));
    const final = await command(customer, 'removeItem', { orderId, sku, quantity: 1 });
    expect(final.order.items[0].quantity).toBe(1 + 12 * 2 - 1);
  });
});
