import http from 'node:http';
import net from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIMIT_CODES } from '../src/graphql/security/operationLimits.js';
import { clientAs, commandMutation, unique, type ApiClient } from './support/api.js';
import { codesOf, postFrom, postRaw, wsOperation } from './support/hardening.js';
import { startTestServer, useTestServer, useTestServers } from './support/testServer.js';

// Protective limits, each configured low on one server so a test can cross it, and the
// defaults on another, where everything an honest client or GraphiQL sends must still pass.

const [limited, defaults] = useTestServers(
  {
    GRAPHQL_MAX_DEPTH: '4',
    GRAPHQL_MAX_COST: '30',
    GRAPHQL_MAX_ALIASES: '3',
    GRAPHQL_MAX_TOKENS: '120',
    GRAPHQL_MAX_DIRECTIVES: '2',
    MAX_BODY_BYTES: '4096',
    EXECUTION_TIMEOUT_MS: '300',
    REQUEST_TIMEOUT_MS: '1500',
    HEADERS_TIMEOUT_MS: '800',
  },
  {},
);
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(limited, 'staff', 'limits-staff');
});

const DEEP = '{ orders { edges { node { items { sku } } } } }';
const ALIASES = '{ a: headPosition b: headPosition c: headPosition d: headPosition }';
const DIRECTIVES = '{ headPosition @include(if: true) @skip(if: false) __typename @include(if: true) }';
const MANY_TOKENS = `{ ${Array.from({ length: 130 }, () => '__typename').join(' ')} }`;
const COSTLY =
  '{ products { edges { node { sku name priceCents onHand reserved available } cursor } pageInfo { hasNextPage endCursor } totalCount } }';

describe('operation limits (GraphQL Armor)', () => {
  it.each([
    ['deeper than GRAPHQL_MAX_DEPTH', DEEP, LIMIT_CODES.depth],
    ['costlier than GRAPHQL_MAX_COST', COSTLY, LIMIT_CODES.cost],
    ['with more aliases than GRAPHQL_MAX_ALIASES', ALIASES, LIMIT_CODES.aliases],
    ['with more directives than GRAPHQL_MAX_DIRECTIVES', DIRECTIVES, LIMIT_CODES.directives],
    ['with more tokens than GRAPHQL_MAX_TOKENS', MANY_TOKENS, LIMIT_CODES.tokens],
  ])('refuses an operation %s with HTTP 400 and its code, executing nothing', async (_label, query, code) => {
    const answer = await postRaw(limited.app.url, { query });
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(codesOf(answer.body)).toContain(code);
    expect(answer.body.errors!.find((e) => e.extensions?.code === code)!.extensions!.max).toEqual(expect.any(Number));
  });

  it.each([
    ['depth', DEEP, LIMIT_CODES.depth],
    ['cost', COSTLY, LIMIT_CODES.cost],
    ['aliases', ALIASES, LIMIT_CODES.aliases],
    ['directives', DIRECTIVES, LIMIT_CODES.directives],
    ['tokens', MANY_TOKENS, LIMIT_CODES.tokens],
  ])(
    'answers a %s rejection with 200 to an application/json client and 400 to an application/graphql-response+json one',
    async (_label, query, code) => {
      const legacy = await postRaw(limited.app.url, { query }, { accept: 'application/json' });
      const current = await postRaw(limited.app.url, { query }, { accept: 'application/graphql-response+json' });
      expect({ legacy: legacy.status, current: current.status }).toEqual({ legacy: 200, current: 400 });
      expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
      expect(current.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      for (const answer of [legacy, current]) {
        expect(answer.body.data).toBeUndefined();
        expect(codesOf(answer.body)).toContain(code);
      }
    },
  );

  it('answers other validation errors the same way, and a variable of the wrong type with 400 for either media type', async () => {
    const statuses = async (request: Record<string, unknown>) => ({
      legacy: (await postRaw(limited.app.url, request, { accept: 'application/json' })).status,
      current: (await postRaw(limited.app.url, request, { accept: 'application/graphql-response+json' })).status,
    });
    expect(await statuses({ query: '{ headPositions }' })).toEqual({ legacy: 200, current: 400 });
    expect(await statuses({ query: 'query($s: String!) { product(sku: $s) { sku } }', variables: { s: 5 } })).toEqual({
      legacy: 400,
      current: 400,
    });
  });

  it.each([
    ['depth', DEEP, LIMIT_CODES.depth],
    ['aliases', ALIASES, LIMIT_CODES.aliases],
    ['tokens', MANY_TOKENS, LIMIT_CODES.tokens],
  ])('applies the same %s limit over graphql-ws', async (_label, query, code) => {
    const result = await wsOperation(limited.wsUrl, query);
    expect(result.data ?? undefined).toBeUndefined();
    expect(codesOf(result)).toContain(code);
  });

  it('lets operations within the limits through, over HTTP and graphql-ws', async () => {
    expect((await postRaw(limited.app.url, { query: '{ a: headPosition b: headPosition }' })).body.data).toEqual({ a: '0', b: '0' });
    expect((await wsOperation(limited.wsUrl, '{ headPosition }')).data).toEqual({ headPosition: '0' });
  });

  it('lets GraphiQL introspect the schema and a whole order query through under the default limits', async () => {
    const introspection = await postRaw(defaults.app.url, {
      query: getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    });
    expect(introspection.status).toBe(200);
    expect(introspection.body.data?.__schema.queryType.name).toBe('Query');
    const token = (await clientAs(defaults, 'staff', 'x')).token!;
    const orders = await postRaw(
      defaults.app.url,
      {
        query:
          '{ orders(first: 100) { totalCount edges { cursor node { id customerId status itemCount totalCents version createdAt updatedAt items { sku name quantity unitPriceCents lineTotalCents } history(first: 10) { position version type occurredAt data } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }',
      },
      { authorization: `Bearer ${token}` },
    );
    expect(orders.body.errors).toBeUndefined();
  });
});

describe('execution timeout', () => {
  it('answers a query still running after EXECUTION_TIMEOUT_MS with EXECUTION_TIMEOUT', async () => {
    // A read waiting for a position the read side cannot reach (its projections are stopped) runs
    // until CONSISTENCY_TIMEOUT_MS (5 s).
    await limited.services.readSide.stop();
    try {
      const added = await staff.run<{ addProduct: { position: string } }>(
        `mutation { addProduct(input: {sku: "${unique('SLOW')}", name: "Slow", priceCents: 1, initialStock: 1}) { ... on CommandSuccess { position } } }`,
      );
      const answer = await postRaw(limited.app.url, {
        query: `{ product(sku: "ANY", consistentWith: "${added.addProduct.position}") { sku } }`,
      });
      // The execution's timeout ended it, not the wait's own (that would be CONSISTENCY_TIMEOUT).
      expect(codesOf(answer.body)).toEqual(['EXECUTION_TIMEOUT']);
    } finally {
      limited.services.readSide.start();
    }
  });
});

describe('body size', () => {
  const bigQuery = (bytes: number) => JSON.stringify({ query: `{ headPosition } # ${'x'.repeat(bytes)}` });

  it('answers a body over MAX_BODY_BYTES with 413 from its Content-Length', async () => {
    const answer = await postRaw(limited.app.url, bigQuery(5_000));
    expect(answer.status).toBe(413);
    expect(codesOf(answer.body)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it('answers a chunked body (no Content-Length) with 413 once it grows past MAX_BODY_BYTES', async () => {
    const chunks = [bigQuery(3_000).slice(0, 3_000), ' '.repeat(3_000)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const response = await fetch(limited.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it("closes the connection after a 413 on a chunked body, so a keep-alive client's next request goes through", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    /** One POST through `agent`, its body written in `chunks` (chunked: no Content-Length). */
    const postChunked = (chunks: string[]) =>
      new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const request = http.request(
          limited.app.url,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } },
          (response) => {
            let body = '';
            response
              .setEncoding('utf8')
              .on('data', (chunk: string) => (body += chunk))
              .on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
          },
        );
        request.on('error', reject);
        for (const chunk of chunks) request.write(chunk);
        request.end();
      });
    try {
      const tooLarge = await postChunked([bigQuery(3_000).slice(0, 3_000), ' '.repeat(3_000), ' '.repeat(3_000)]);
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.connection).toBe('close');
      expect(codesOf(JSON.parse(tooLarge.body))).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
      const next = await postChunked([JSON.stringify({ query: '{ headPosition }' })]);
      expect({ status: next.status, body: JSON.parse(next.body) }).toEqual({
        status: 200,
        body: { data: { headPosition: expect.stringMatching(/^\d+$/) } },
      });
    } finally {
      agent.destroy();
    }
  });

  it('keeps reading what a client still sends after a 413, then closes without a reset', async () => {
    const url = new URL(limited.app.url);
    // Half-open, as a client that writes its whole body before it reads the answer.
    const socket = net.connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
    let answer = '';
    const errors: string[] = [];
    socket
      .setEncoding('utf8')
      .on('data', (text: string) => (answer += text))
      .on('error', (error) => errors.push(error.message));
    const ended = new Promise((resolve) => socket.once('end', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.write(chunk(bigQuery(3_000).slice(0, 3_000)) + chunk(' '.repeat(3_000)));
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 413 [^]*\r\nconnection: close\r\n/i);
    // The rest of the refused body, sent after the answer: the server still reads it.
    for (let i = 0; i < 10; i++) {
      socket.write(chunk(' '.repeat(10_000)));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    socket.end('0\r\n\r\n');
    await closed;
    expect(errors).toEqual([]);
  });

  it('closes the connection after a 413 from Content-Length too', async () => {
    const answer = await postRaw(limited.app.url, bigQuery(5_000));
    expect(answer.status).toBe(413);
    expect(answer.headers.get('connection')).toBe('close');
  });

  it('accepts a body just under the limit', async () => {
    expect((await postRaw(limited.app.url, bigQuery(3_000))).body.data).toEqual({ headPosition: expect.stringMatching(/^\d+$/) });
  });

  it('closes a WebSocket whose message exceeds MAX_BODY_BYTES with 1009', async () => {
    const socket = new WebSocket(limited.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(5_000) } }));
    expect(await closed).toBe(1009);
  });
});

describe('request timeouts', () => {
  /** Writes `text` on a raw connection and resolves with what the server sent once it closes. */
  async function sendAndWaitForClose(text: string): Promise<{ answer: string }> {
    const url = new URL(limited.app.url);
    const socket = net.connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(text);
    await new Promise((resolve) => socket.once('close', resolve));
    return { answer: Buffer.concat(received).toString() };
  }

  it('answers 408 and closes a connection that sends its headers too slowly (HEADERS_TIMEOUT_MS)', async () => {
    const { answer } = await sendAndWaitForClose('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 408 and closes a connection that never finishes its body (REQUEST_TIMEOUT_MS)', async () => {
    const head = 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const { answer } = await sendAndWaitForClose(`${head}{"query":`);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('mutation rate limit', () => {
  const server = useTestServer({ RATE_LIMIT_MUTATIONS_PER_MINUTE: '3' });

  // Each identity calls from an address of its own: the limit counts per address as well.
  const addProduct = (authorization: string, from: string) =>
    postFrom(
      from,
      server.app.url,
      {
        query: commandMutation('addProduct'),
        variables: { input: { sku: unique('RL'), name: 'Limited', priceCents: 1, initialStock: 1 } },
      },
      { authorization },
    );

  it('refuses the mutation past the allowance with RATE_LIMITED, HTTP 429 and a retry-after hint; others are unaffected', async () => {
    const alice = `Bearer ${(await clientAs(server, 'staff', 'rl-alice')).token}`;
    const bob = `Bearer ${(await clientAs(server, 'staff', 'rl-bob')).token}`;
    for (let i = 0; i < 3; i++) expect((await addProduct(alice, '127.0.0.11')).body.data?.addProduct.__typename).toBe('AddProductSuccess');
    const refused = await addProduct(alice, '127.0.0.11');
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    const retryAfter = refused.body.errors![0]!.extensions!.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    // Another identity from another address has its own allowance, and queries are never limited.
    expect((await addProduct(bob, '127.0.0.12')).body.data?.addProduct.__typename).toBe('AddProductSuccess');
    expect((await postFrom('127.0.0.11', server.app.url, { query: '{ headPosition }' }, { authorization: alice })).status).toBe(200);
  });

  it('counts every aliased mutation in one operation', async () => {
    const carol = `Bearer ${(await clientAs(server, 'staff', 'rl-carol')).token}`;
    const input = () => `{ sku: "${unique('RL')}", name: "n", priceCents: 1, initialStock: 1 }`;
    const four = `mutation { ${[1, 2, 3, 4].map((i) => `m${i}: addProduct(input: ${input()}) { __typename }`).join(' ')} }`;
    const answer = await postFrom('127.0.0.13', server.app.url, { query: four }, { authorization: carol });
    expect(codesOf(answer.body)).toEqual(['RATE_LIMITED']);
    // Nothing ran: carol's allowance of 3 is intact.
    const three = `mutation { ${[1, 2, 3].map((i) => `m${i}: addProduct(input: ${input()}) { __typename }`).join(' ')} }`;
    expect((await postFrom('127.0.0.13', server.app.url, { query: three }, { authorization: carol })).body.data).toEqual({
      m1: { __typename: 'AddProductSuccess' },
      m2: { __typename: 'AddProductSuccess' },
      m3: { __typename: 'AddProductSuccess' },
    });
  });

  it('limits anonymous callers by address, and over graphql-ws as over HTTP', async () => {
    const register = (n: number) => ({
      query: commandMutation('registerCustomer'),
      variables: { input: { name: 'Anon', email: `${unique(`rl${n}`)}@example.com` } },
    });
    for (let i = 0; i < 3; i++)
      expect((await postRaw(server.app.url, register(i))).body.data?.registerCustomer.__typename).toBe('RegisterCustomerSuccess');
    expect(codesOf((await postRaw(server.app.url, register(4))).body)).toEqual(['RATE_LIMITED']);
    const overWs = await wsOperation(server.wsUrl, register(5).query, register(5).variables);
    expect(codesOf(overWs)).toEqual(['RATE_LIMITED']);
  });

  it('is off with RATE_LIMIT_MUTATIONS_PER_MINUTE=0', async () => {
    const token = `Bearer ${(await clientAs(defaults, 'staff', 'unlimited')).token}`;
    const off = await startTestServer({ RATE_LIMIT_MUTATIONS_PER_MINUTE: '0' });
    try {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          postRaw(
            off.app.url,
            {
              query: commandMutation('addProduct'),
              variables: { input: { sku: unique('RL0'), name: 'n', priceCents: 1, initialStock: 1 } },
            },
            { authorization: token },
          ),
        ),
      );
      expect(answers.map((a) => a.body.data?.addProduct.__typename)).toEqual(Array(10).fill('AddProductSuccess'));
    } finally {
      await off.stop();
    }
  });

  it('lets an honest busy client through at the default (30 concurrent commands for one identity)', async () => {
    const token = `Bearer ${(await clientAs(defaults, 'staff', 'busy')).token}`;
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        postRaw(
          defaults.app.url,
          {
            query: commandMutation('addProduct'),
            variables: { input: { sku: unique('BUSY'), name: 'n', priceCents: 1, initialStock: 1 } },
          },
          { authorization: token },
        ),
      ),
    );
    expect(answers.every((a) => a.body.data?.addProduct.__typename === 'AddProductSuccess')).toBe(true);
  });
});
