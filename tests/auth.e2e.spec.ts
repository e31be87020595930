import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, commandMutation, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// Authentication and roles over real HTTP: every refused credential is an
// UNAUTHENTICATED result in the mutation's union, never an HTTP 500 and never a top-level error.

const server = useTestServer();
let staff: ApiClient;
let secret: Uint8Array;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'staff-auth');
  secret = new TextEncoder().encode(server.services.config.jwt.secret);
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRODUCT = '... on AddProductSuccess { product { sku } }';
const CUSTOMER = '... on RegisterCustomerSuccess { token customer { id email } }';
const now = (): number => Math.floor(Date.now() / 1000);
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** POSTs one command with exactly the Authorization header given (or none) and returns status and body. */
async function post(authorization: string | undefined, name: string, input: Record<string, unknown>, extra?: string) {
  const response = await fetch(server.app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify({ query: commandMutation(name, extra), variables: { input } }),
  });
  const body = (await response.json()) as { data?: Record<string, Record<string, any>>; errors?: unknown[] };
  return { status: response.status, errors: body.errors, result: body.data?.[name] };
}

/** Asserts an UNAUTHENTICATED result, delivered as data with HTTP 200. */
function expectUnauthenticated(answer: Awaited<ReturnType<typeof post>>): void {
  expect(answer.status).toBe(200);
  expect(answer.errors).toBeUndefined();
  expect(answer.result).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: expect.any(String) });
}

const productInput = () => ({ sku: unique('AUTH'), name: 'Guarded', priceCents: 100, initialStock: 1 });

/** Tokens the server must refuse, each otherwise claiming the staff role. */
const refusedTokens: [string, () => Promise<string>][] = [
  [
    'an expired token',
    () =>
      new SignJWT({ role: 'staff' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('alice')
        .setIssuedAt(now() - 7200)
        .setExpirationTime(now() - 3600)
        .sign(secret),
  ],
  [
    'a token signed with another secret',
    () =>
      new SignJWT({ role: 'staff' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('a-completely-different-secret-of-32-chars!')),
  ],
  [
    'an unsigned alg:none token',
    async () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'alice', role: 'staff', iat: now(), exp: now() + 3600 })}.`,
  ],
  [
    'a token with an unknown role',
    () =>
      new SignJWT({ role: 'superuser' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(secret),
  ],
  [
    'a token without a role',
    () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt().setExpirationTime('1h').sign(secret),
  ],
  [
    'a token without sub',
    () => new SignJWT({ role: 'staff' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(secret),
  ],
  ['a token that is not a JWT', async () => 'not.a.jwt'],
  [
    'a token signed with HS512 instead of HS256',
    () =>
      new SignJWT({ role: 'staff' })
        .setProtectedHeader({ alg: 'HS512' })
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(secret),
  ],
  [
    'a token that is not valid yet',
    () =>
      new SignJWT({ role: 'staff' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt()
        .setNotBefore(now() + 3600)
        .setExpirationTime(now() + 7200)
        .sign(secret),
  ],
];

describe('refused credentials', () => {
  it('answers a command that needs a token with UNAUTHENTICATED when none is sent', async () => {
    expectUnauthenticated(await post(undefined, 'addProduct', productInput(), PRODUCT));
    expectUnauthenticated(await post(undefined, 'createOrder', { customerId: 'someone' }));
  });

  it.each(refusedTokens)('answers %s with UNAUTHENTICATED, not a 500 or a GraphQL error', async (_label, makeToken) => {
    const token = await makeToken();
    expectUnauthenticated(await post(`Bearer ${token}`, 'addProduct', productInput(), PRODUCT));
    expectUnauthenticated(await post(`Bearer ${token}`, 'createOrder', { customerId: 'alice' }));
  });

  it('says that an expired token has expired', async () => {
    const token = await refusedTokens[0]![1]();
    const answer = await post(`Bearer ${token}`, 'addProduct', productInput(), PRODUCT);
    expect(answer.result?.message).toMatch(/expired/i);
  });

  it('accepts the same claims when properly signed, so the refusals above are about the token alone', async () => {
    const token = await new SignJWT({ role: 'staff' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    const answer = await post(`Bearer ${token}`, 'addProduct', productInput(), PRODUCT);
    expect(answer.status).toBe(200);
    expect(answer.result).toMatchObject({ __typename: 'AddProductSuccess' });
  });

  it.each(['Basic abc', 'Bearer', `Token ${'x'.repeat(20)}`, 'Bearer two parts'])(
    'answers the malformed Authorization header %j with UNAUTHENTICATED',
    async (header) => {
      expectUnauthenticated(await post(header, 'addProduct', productInput(), PRODUCT));
    },
  );

  it('does not fall back to anonymous for a refused token: registerCustomer with one is UNAUTHENTICATED', async () => {
    const email = `${unique('refused')}@example.com`;
    for (const [label, makeToken] of refusedTokens) {
      const answer = await post(`Bearer ${await makeToken()}`, 'registerCustomer', { name: 'Refused', email }, CUSTOMER);
      expect(answer.result?.code, label).toBe('UNAUTHENTICATED');
    }
    expectUnauthenticated(await post('Basic abc', 'registerCustomer', { name: 'Refused', email }, CUSTOMER));
    // None of those registered anything: the email is still free.
    const fresh = await post(undefined, 'registerCustomer', { name: 'Finally', email }, CUSTOMER);
    expect(fresh.result).toMatchObject({ __typename: 'RegisterCustomerSuccess', customer: { email } });
  });
});

describe('registration tokens', () => {
  it('lets an anonymous caller register, over HTTP 200 without errors', async () => {
    const email = `${unique('anon')}@example.com`;
    const answer = await post(undefined, 'registerCustomer', { name: 'Anon', email }, CUSTOMER);
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.result).toMatchObject({ __typename: 'RegisterCustomerSuccess', version: 1, customer: { email } });
  });

  it('returns a customer token whose sub is the new customer id', async () => {
    const registered = await command(
      apiClient(server),
      'registerCustomer',
      { name: 'Token Holder', email: `${unique('t')}@example.com` },
      CUSTOMER,
    );
    const { payload, protectedHeader } = await jwtVerify(registered.token, secret, { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: registered.customer.id, role: 'customer' });
    expect(registered.aggregateId).toBe(registered.customer.id);
  });

  it('hands out the token in the first answer only: a repeat of the same command, by anyone, answers the stored result with token null', async () => {
    const input = { name: 'Once', email: `${unique('once')}@example.com`, commandId: unique('reg') };
    const first = await command(apiClient(server), 'registerCustomer', input, CUSTOMER);
    expect(first).toMatchObject({ __typename: 'RegisterCustomerSuccess', customer: { email: input.email } });
    expect(typeof first.token).toBe('string');
    for (const repeater of [apiClient(server), apiClient(server)]) {
      const again = await command(repeater, 'registerCustomer', input, CUSTOMER);
      expect(again).toEqual({ ...first, token: null });
    }
  });

  it('acts as that customer: it creates their own order but not one for someone else, and cannot use staff commands', async () => {
    const me = await command(apiClient(server), 'registerCustomer', { name: 'Me', email: `${unique('me')}@example.com` }, CUSTOMER);
    const other = await command(
      apiClient(server),
      'registerCustomer',
      { name: 'Other', email: `${unique('other')}@example.com` },
      CUSTOMER,
    );
    const client = apiClient(server, me.token);

    const mine = await command(client, 'createOrder', { customerId: me.customer.id, orderId: newOrderId() });
    expect(mine).toMatchObject({ __typename: 'CreateOrderSuccess', order: { customerId: me.customer.id, status: 'DRAFT' } });
    const theirs = await command(client, 'createOrder', { customerId: other.customer.id, orderId: newOrderId() });
    expect(theirs).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await command(client, 'addProduct', productInput(), PRODUCT)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });

    // And the order it created is theirs alone: another customer's token sees NOT_FOUND.
    const stranger = apiClient(server, other.token);
    expect(await command(stranger, 'submitOrder', { orderId: mine.aggregateId })).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    expect(await command(staff, 'cancelOrder', { orderId: mine.aggregateId, reason: 'cleanup' })).toMatchObject({
      __typename: 'CancelOrderSuccess',
    });
  });
});

describe('npm run token', () => {
  // Run without blocking: the server under test lives in this process, and a blocked event loop
  // lets its keep-alive timer close the client's idle socket just as the next request reuses it.
  const runTokenScript = async (args: string[], jwtSecret: string) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, JWT_SECRET: jwtSecret, JWT_ISSUER: '', JWT_AUDIENCE: '', NODE_ENV: 'test' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number | string; stdout?: string; stderr?: string };
      return {
        status: typeof failed.code === 'number' ? failed.code : null,
        stdout: failed.stdout ?? '',
        stderr: failed.stderr ?? String(error),
      };
    }
  };

  it('prints an HS256 token for the given role and subject, signed with JWT_SECRET', async () => {
    const scriptSecret = `script-secret-${'s'.repeat(32)}`;
    const run = await runTokenScript(['--role', 'staff', '--sub', 'alice'], scriptSecret);
    expect(run.status, run.stderr).toBe(0);
    const token = run.stdout.trim();
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const { payload } = await jwtVerify(token, new TextEncoder().encode(scriptSecret), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: 'alice', role: 'staff' });
    expect(payload.exp).toBeGreaterThan(now());
    // The server with a different secret refuses it.
    expectUnauthenticated(await post(`Bearer ${token}`, 'addProduct', productInput(), PRODUCT));
  });

  it('prints a token the server accepts when both share the secret', async () => {
    const run = await runTokenScript(['--role', 'admin', '--sub', 'root'], server.services.config.jwt.secret);
    expect(run.status, run.stderr).toBe(0);
    const answer = await post(`Bearer ${run.stdout.trim()}`, 'addProduct', productInput(), PRODUCT);
    expect(answer.result).toMatchObject({ __typename: 'AddProductSuccess' });
  });

  it('prints a payments token the server accepts for recordPayment alone', async () => {
    const run = await runTokenScript(['--role', 'payments', '--sub', 'psp'], server.services.config.jwt.secret);
    expect(run.status, run.stderr).toBe(0);
    const { payload } = await jwtVerify(run.stdout.trim(), secret, { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: 'psp', role: 'payments' });
    const answer = await post(`Bearer ${run.stdout.trim()}`, 'addProduct', productInput(), PRODUCT);
    expect(answer.result).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });

  it('exits with status 2 and a usage line for an unknown role or a missing subject', async () => {
    const badRole = await runTokenScript(['--role', 'superuser', '--sub', 'alice'], 'x'.repeat(40));
    expect(badRole.status).toBe(2);
    expect(badRole.stdout).toBe('');
    expect(badRole.stderr).toMatch(/usage/i);
    expect((await runTokenScript(['--role', 'staff'], 'x'.repeat(40))).status).toBe(2);
  });
});
