import { afterAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { commandMutation, unique } from './support/api.js';
import { codesOf, postFrom, wsOperation } from './support/hardening.js';
import { stopTestServers, useTestServers } from './support/testServer.js';

// Accounts must not come for free: sign-ups are limited per client address, and the mutation limit
// counts per address as well as per token subject, so fresh identities bring no fresh allowance.
const [signups, mutations] = useTestServers(
  { SIGNUP_RATE_PER_HOUR: '3' },
  { RATE_LIMIT_MUTATIONS_PER_MINUTE: '4', SIGNUP_RATE_PER_HOUR: '0' },
);
afterAll(() => stopTestServers());

const register = () => ({
  query: commandMutation('registerCustomer', '... on RateLimitedError { retryAfterSeconds }'),
  variables: { input: { name: 'Bot', email: `${unique('signup')}@example.com` } },
});

describe('registerCustomer', () => {
  it('is limited to SIGNUP_RATE_PER_HOUR per client address with RATE_LIMITED, over HTTP and graphql-ws; other addresses are not', async () => {
    for (let i = 0; i < 3; i++)
      expect((await postFrom('127.0.0.3', signups.app.url, register())).body.data?.registerCustomer.__typename).toBe(
        'RegisterCustomerSuccess',
      );
    const refused = await postFrom('127.0.0.3', signups.app.url, register());
    expect(refused.body.data?.registerCustomer).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED' });
    expect(refused.body.data?.registerCustomer.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Exhaust 127.0.0.1 too, then graphql-ws (which connects from there) is refused the same way.
    for (let i = 0; i < 3; i++) await postFrom('127.0.0.1', signups.app.url, register());
    const overWs = await wsOperation(signups.wsUrl, register().query, register().variables);
    expect(overWs.data?.registerCustomer.code).toBe('RATE_LIMITED');
    expect((await postFrom('127.0.0.4', signups.app.url, register())).body.data?.registerCustomer.__typename).toBe(
      'RegisterCustomerSuccess',
    );
  });
});

describe('the mutation rate limit', () => {
  const addProduct = async (from: string, sub: string) => {
    const token = await signAccessToken({ sub, role: 'customer' }, mutations.services.config.jwt);
    const body = {
      query: commandMutation('addProduct'),
      variables: { input: { sku: unique('RA'), name: 'n', priceCents: 1, initialStock: 1 } },
    };
    return postFrom(from, mutations.app.url, body, { authorization: `Bearer ${token}` });
  };

  it("counts a customer's mutations per client address as well as per token subject: new identities from one address share its allowance", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await addProduct('127.0.0.5', unique('identity')));
    // Customers may not add products: each answers FORBIDDEN, and each counts all the same.
    expect(answers.map((a) => a.body.data?.addProduct.code)).toEqual(Array(4).fill('FORBIDDEN'));
    const fifth = await addProduct('127.0.0.5', unique('identity'));
    expect(fifth.status).toBe(429);
    expect(codesOf(fifth.body)).toEqual(['RATE_LIMITED']);
    // Another address has its own allowance.
    expect((await addProduct('127.0.0.6', unique('identity'))).body.data?.addProduct.code).toBe('FORBIDDEN');
  });
});
