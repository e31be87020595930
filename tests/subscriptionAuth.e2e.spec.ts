import { beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { clientAs, command, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

describe('subscription auth', () => {
  it('ends a subscription with UNAUTHENTICATED when its token expires', async () => {
    const sku = `EXP-${Date.now()}`;
    await command(staff, 'addProduct', { sku, name: 'Short-lived', priceCents: 100, initialStock: 1 });
    const token = await signAccessToken({ sub: 'bob', role: 'staff' }, server.services.config.jwt, '2s');
    const sub = subscribe(server.wsUrl, token, 'subscription($sku: String) { inventoryChanged(sku: $sku) { sku onHand } }', { sku });
    try {
      expect((await sub.waitFor(1))[0]).toEqual({ sku, onHand: 1 });
      expect(JSON.stringify(await sub.waitForError(6_000))).toContain('UNAUTHENTICATED');
    } finally {
      await sub.close();
    }
  });

  it('refuses an anonymous subscription to an order with UNAUTHENTICATED, and a refused token on the catalog too', async () => {
    const anonymous = subscribe(server.wsUrl, undefined, 'subscription { orderStatusChanged(orderId: "any") { status } }');
    const forged = subscribe(server.wsUrl, 'not-a-token', 'subscription { inventoryChanged { sku } }');
    try {
      expect(JSON.stringify(await anonymous.waitForError())).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(await forged.waitForError())).toContain('UNAUTHENTICATED');
    } finally {
      await anonymous.close();
      await forged.close();
    }
  });
});
