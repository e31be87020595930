import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, unique, type ApiClient } from './support/api.js';
import { type TestServer, useTestServer } from './support/testServer.js';

// `Order.history` over real HTTP: a page of at most 100 entries (what a client that asks for
// `history` without arguments gets), the next page after the last position it has, and its weight
// in the query cost.

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', `staff-${randomUUID().slice(0, 8)}`);
});

type Body = Awaited<ReturnType<TestServer['graphql']>>;
const codeOf = (body: Body): unknown => body.errors?.[0]?.extensions?.code;
const asStaff = (query: string, variables: Record<string, unknown> = {}): Promise<Body> =>
  server.graphql(query, variables, { authorization: `Bearer ${staff.token}` });

describe("an order's history, a page at a time", () => {
  const EVENTS = 130;
  let orderId: string;
  let position: string;
  beforeAll(async () => {
    const sku = unique('CHURN');
    await command(staff, 'addProduct', { sku, name: 'Churn', priceCents: 100, initialStock: 10 });
    orderId = `churn-${randomUUID().slice(0, 8)}`;
    const customer = await command(apiClient(server), 'registerCustomer', { name: 'Churner', email: `${unique('churn')}@example.com` });
    ({ position } = await command(staff, 'createOrder', { customerId: customer.customer.id, orderId }));
    // Adds and removals in turn, 26 to a request (aliases run one after the other).
    const changes = Array.from({ length: EVENTS - 1 }, (_, i) =>
      i % 2 === 0
        ? `c${i}: addItem(input: { orderId: "${orderId}", sku: "${sku}", quantity: 1 }) { ... on CommandSuccess { position } }`
        : `c${i}: removeItem(input: { orderId: "${orderId}", sku: "${sku}" }) { ... on CommandSuccess { position } }`,
    );
    for (let i = 0; i < changes.length; i += 26) {
      const data = await staff.run<Record<string, { position?: string }>>(`mutation { ${changes.slice(i, i + 26).join(' ')} }`);
      for (const result of Object.values(data)) {
        expect(result.position).toEqual(expect.any(String));
        position = result.position!;
      }
    }
  });

  const historyOf = async (args: string) =>
    asStaff(`query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { history${args} { position version } } }`, {
      id: orderId,
      p: position,
    });

  it('gives the first 100 entries to a client that asks for `history` without arguments, and the rest after the last one it has', async () => {
    const first = (await historyOf('')).data as { order: { history: { position: string; version: number }[] } };
    expect(first.order.history.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const after = first.order.history.at(-1)!.position;
    const rest = (await historyOf(`(after: "${after}")`)).data as { order: { history: { version: number }[] } };
    expect(rest.order.history.map((e) => e.version)).toEqual(Array.from({ length: EVENTS - 100 }, (_, i) => i + 101));
    const three = (await historyOf('(first: 3, after: "0")')).data as { order: { history: { version: number }[] } };
    expect(three.order.history.map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('refuses a page beyond 100 or a forged position with VALIDATION_FAILED', async () => {
    expect(codeOf(await historyOf('(first: 101)'))).toBe('VALIDATION_FAILED');
    expect(codeOf(await historyOf('(first: -1)'))).toBe('VALIDATION_FAILED');
    expect(codeOf(await historyOf('(after: "not-a-position")'))).toBe('VALIDATION_FAILED');
  });

  it('counts in the query cost the entries a history can return, so 100 orders with their whole histories are refused', async () => {
    const everything = '{ orders(first: 100) { edges { node { id history { position version type occurredAt data } } } } }';
    expect(codeOf(await asStaff(everything))).toBe('QUERY_TOO_COSTLY');
    const pages = '{ orders(first: 100) { edges { node { id history(first: 5) { position version type occurredAt data } } } } }';
    expect((await asStaff(pages)).errors).toBeUndefined();
  });
});
