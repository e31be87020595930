import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandMutation, unique } from './support/api.js';
import { codesOf, postRaw, wsOperation } from './support/hardening.js';
import { useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// Auth: each kind of bad token is UNAUTHENTICATED on every path a token takes. Mutations
// over HTTP are covered in auth.e2e.spec.ts; here are queries over HTTP, and queries, mutations and
// subscriptions over graphql-ws, where the token arrives in connectionParams.authorization.

const server = useTestServer();
let secret: Uint8Array;
beforeAll(async () => {
  secret = new TextEncoder().encode(server.services.config.jwt.secret);
});

const now = (): number => Math.floor(Date.now() / 1000);
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const staffJwt = (claims: Record<string, unknown> = { role: 'staff' }) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });

/** Each token claims staff rights (or tries to) and must be refused. */
const badTokens: [string, () => Promise<string>][] = [
  [
    'an expired token',
    () =>
      staffJwt()
        .setSubject('mallory')
        .setIssuedAt(now() - 7200)
        .setExpirationTime(now() - 60)
        .sign(secret),
  ],
  [
    'a wrongly signed token',
    () =>
      staffJwt()
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not-the-server-secret-but-32-chars-long!')),
  ],
  [
    'an alg:none token',
    async () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'mallory', role: 'staff', exp: now() + 3600 })}.`,
  ],
  [
    'a token with an unknown role',
    () => staffJwt({ role: 'root' }).setSubject('mallory').setIssuedAt().setExpirationTime('1h').sign(secret),
  ],
  ['a token without a subject', () => staffJwt().setIssuedAt().setExpirationTime('1h').sign(secret)],
];

const PRODUCT_INPUT = () => ({ sku: unique('TOK'), name: 'Guarded', priceCents: 1, initialStock: 1 });

describe.each(badTokens)('%s', (_label, makeToken) => {
  let authorization: string;
  beforeAll(async () => {
    authorization = `Bearer ${await makeToken()}`;
  });

  it('is UNAUTHENTICATED for a query over HTTP (a coded GraphQL error, no data)', async () => {
    const answer = await postRaw(server.app.url, { query: '{ me { id } }' }, { authorization });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ me: null });
    expect(codesOf(answer.body)).toEqual(['UNAUTHENTICATED']);
  });

  it('is UNAUTHENTICATED even for the public catalog over HTTP, instead of falling back to anonymous', async () => {
    expect(codesOf((await postRaw(server.app.url, { query: '{ products { totalCount } }' }, { authorization })).body)).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('is an UNAUTHENTICATED result for a mutation over graphql-ws', async () => {
    const result = await wsOperation(server.wsUrl, commandMutation('addProduct'), { input: PRODUCT_INPUT() }, authorization);
    expect(result.errors).toBeUndefined();
    expect(result.data?.addProduct).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
  });

  it('is UNAUTHENTICATED for a query over graphql-ws', async () => {
    expect(codesOf(await wsOperation(server.wsUrl, '{ me { id } }', undefined, authorization))).toEqual(['UNAUTHENTICATED']);
  });

  it('ends a subscription over graphql-ws with UNAUTHENTICATED', async () => {
    const subscription = subscribe(server.wsUrl, authorization.slice('Bearer '.length), 'subscription { orderFeed { orderId } }');
    try {
      expect(JSON.stringify(await subscription.waitForError())).toContain('UNAUTHENTICATED');
      expect(subscription.received).toEqual([]);
    } finally {
      await subscription.close();
    }
  });
});

it('lets the same request through with a valid staff token, so the refusals above are about the token', async () => {
  const authorization = `Bearer ${await staffJwt().setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(secret)}`;
  expect((await postRaw(server.app.url, { query: '{ products { totalCount } }' }, { authorization })).body.errors).toBeUndefined();
  const result = await wsOperation(server.wsUrl, commandMutation('addProduct'), { input: PRODUCT_INPUT() }, authorization);
  expect(result.data?.addProduct.__typename).toBe('AddProductSuccess');
});
