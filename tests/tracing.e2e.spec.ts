import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { startTracing, type Tracing } from '../src/observability/tracing.js';
import { apiClient, command, unique } from './support/api.js';
import { useTestServer } from './support/testServer.js';
import { WebhookReceiver } from './support/webhookReceiver.js';
import { subscribe } from './support/wsClient.js';

type ExportedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
};

/**
 * A tiny OTLP/HTTP receiver: collects every span posted to /v1/traces, in either encoding the
 * exporter may send (JSON, or protobuf read with the minimal wire-format decoder below).
 */
async function startOtlpReceiver() {
  const spans: ExportedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      contentTypes.add(contentType);
      spans.push(...(contentType.includes('protobuf') ? protobufSpans(body) : jsonSpans(body.toString())));
      res.writeHead(200, { 'content-type': contentType }).end(contentType.includes('protobuf') ? '' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type JsonValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; arrayValue?: { values?: JsonValue[] } };
const jsonValue = (value: JsonValue): unknown =>
  value.arrayValue
    ? (value.arrayValue.values ?? []).map(jsonValue)
    : value.intValue !== undefined
      ? Number(value.intValue)
      : (value.stringValue ?? value.boolValue);

function jsonSpans(body: string): ExportedSpan[] {
  type JsonSpan = Omit<ExportedSpan, 'attributes' | 'links'> & {
    links?: { traceId: string; spanId: string }[];
    attributes?: { key: string; value: JsonValue }[];
  };
  const request = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[] };
  return request.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        ...span,
        parentSpanId: span.parentSpanId || undefined,
        links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
        attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, jsonValue(value)])),
      })),
    ),
  );
}

/** A protobuf message's fields by number: varints as bigint, length-delimited fields as bytes. */
function protobufFields(buffer: Buffer): Map<number, (bigint | Buffer)[]> {
  const fields = new Map<number, (bigint | Buffer)[]>();
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const [field, wireType] = [key >> 3, key & 7];
    let value: bigint | Buffer;
    if (wireType === 0) value = varint();
    else if (wireType === 1) value = buffer.subarray(offset, (offset += 8));
    else if (wireType === 5) value = buffer.subarray(offset, (offset += 4));
    else if (wireType === 2) {
      const length = Number(varint());
      value = buffer.subarray(offset, (offset += length));
    } else throw new Error(`protobuf wire type ${wireType} is not expected in OTLP traces`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const messages = (fields: Map<number, (bigint | Buffer)[]>, field: number) =>
  (fields.get(field) ?? []).map((v) => protobufFields(v as Buffer));
const bytes = (fields: Map<number, (bigint | Buffer)[]>, field: number) =>
  (fields.get(field)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);

/** opentelemetry.proto.common.v1.AnyValue: string 1, bool 2, int 3, array 5 (values 1). */
function protobufValue(value: Map<number, (bigint | Buffer)[]>): unknown {
  if (value.has(1)) return bytes(value, 1).toString();
  if (value.has(2)) return value.get(2)![0] === 1n;
  if (value.has(3)) return Number(value.get(3)![0]);
  if (value.has(5)) return messages(messages(value, 5)[0]!, 1).map(protobufValue);
  return undefined;
}

/** ExportTraceServiceRequest: resource spans 1 > scope spans 2 > spans 2 (ids 1, 2, 4; name 5; attributes 9; links 13). */
function protobufSpans(body: Buffer): ExportedSpan[] {
  return messages(protobufFields(body), 1).flatMap((resource) =>
    messages(resource, 2).flatMap((scope) =>
      messages(scope, 2).map((span) => ({
        traceId: bytes(span, 1).toString('hex'),
        spanId: bytes(span, 2).toString('hex'),
        parentSpanId: bytes(span, 4).toString('hex') || undefined,
        name: bytes(span, 5).toString(),
        links: messages(span, 13).map((link) => ({ traceId: bytes(link, 1).toString('hex'), spanId: bytes(link, 2).toString('hex') })),
        attributes: Object.fromEntries(messages(span, 9).map((kv) => [bytes(kv, 1).toString(), protobufValue(messages(kv, 2)[0]!)])),
      })),
    ),
  );
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
// The tracer is looked up on every span, so the server may start before tracing does.
const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });

describe.each(['http/json', 'http/protobuf'])('OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT, %s)', (protocol) => {
  let tracing: Tracing;
  beforeAll(async () => {
    receiver.spans.length = 0;
    receiver.contentTypes.clear();
    // The same start-up path as main.ts, from the standard variables (the exporter reads them too).
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'ordersource-test',
    });
    tracing = await startTracing();
  });
  afterAll(async () => {
    await tracing.shutdown();
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME']) delete process.env[name];
  });

  it('continues the trace of a command in each webhook attempt its events cause', async () => {
    const admin = apiClient(server, await signAccessToken({ sub: 'root', role: 'admin' }, server.services.config.jwt));
    const staff = apiClient(server, await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt));
    const hooks = await new WebhookReceiver().start();
    try {
      const { createWebhookEndpoint } = await admin.run(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ... on CreateWebhookEndpointSuccess { secret endpoint { id } } } }`,
        { input: { url: hooks.url, eventTypes: ['ordersource.product.added.v1'] } },
      );
      hooks.secret = createWebhookEndpoint.secret;
      const sku = unique('HOOKED');
      await command(staff, 'addProduct', { sku, name: 'Hooked', priceCents: 100, initialStock: 1 });
      await expect.poll(() => hooks.accepted.some((m) => m.body.subject === sku), { timeout: 15_000 }).toBe(true);
      const attempt = async () => {
        await tracing.flush();
        return receiver.spans.find(
          (span) => span.name === 'reaction webhook attempt' && span.attributes['ordersource.event'] === `Product-${sku}:1`,
        );
      };
      await expect.poll(attempt, { timeout: 15_000 }).toBeDefined();
      const span = (await attempt())!;
      const append = receiver.spans.find((s) => s.traceId === span.traceId && s.name === 'append');
      expect(span.parentSpanId).toBe(append?.spanId);
      expect(span.attributes).toMatchObject({ 'ordersource.reaction.kind': 'webhook', 'ordersource.reaction.outcome': 'delivered' });
      await admin.run(`mutation { deleteWebhookEndpoint(input: { endpointId: "${createWebhookEndpoint.endpoint.id}" }) { __typename } }`);
    } finally {
      await hooks.stop();
      // The next test looks for its own command's spans among what the collector received.
      await tracing.flush();
      receiver.spans.length = 0;
    }
  });

  it('should follow one mutation from its HTTP request through the pipeline and the append to the projection batch and the live push it caused, in one trace', async () => {
    const token = await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt);
    const staff = apiClient(server, token);
    const sku = unique('TRACED');
    // One live subscriber to the product, listening before the mutation.
    const subscriber = subscribe(server.wsUrl, token, 'subscription ($sku: String) { inventoryChanged(sku: $sku) { sku onHand } }', {
      sku,
    });
    try {
      await expect.poll(() => server.services.liveFeed.listenerCount(`product:${sku}`), { timeout: 10_000 }).toBe(1);
      expect((await command(staff, 'addProduct', { sku, name: 'Traced', priceCents: 100, initialStock: 1 })).__typename).toBe(
        'AddProductSuccess',
      );
      expect(await subscriber.waitFor(1)).toEqual([{ sku, onHand: 1 }]);
    } finally {
      await subscriber.close();
    }

    const deadline = Date.now() + 15_000;
    let trace: ExportedSpan[] = [];
    for (;;) {
      await tracing.flush();
      const commandSpan = receiver.spans.find((span) => span.name === 'command addProduct');
      trace = commandSpan ? receiver.spans.filter((span) => span.traceId === commandSpan.traceId) : [];
      const names = trace.map((span) => span.name);
      if ((names.includes('projection inventory batch') && names.includes('live.push')) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...receiver.contentTypes]).toEqual([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']);
    const names = trace.map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /graphql',
        'graphql.mutation',
        'command addProduct',
        'load and decide',
        'append',
        'projection inventory batch',
        'live.push',
      ]),
    );

    const byName = (name: string) => trace.find((span) => span.name === name)!;
    // Parent chain: request -> operation -> command -> append; the batch and the push continue from the append.
    expect(byName('graphql.mutation').parentSpanId).toBe(byName('POST /graphql').spanId);
    expect(byName('command addProduct').parentSpanId).toBe(byName('graphql.mutation').spanId);
    expect(byName('append').parentSpanId).toBe(byName('command addProduct').spanId);
    expect(byName('projection inventory batch').parentSpanId).toBe(byName('append').spanId);

    // The push is linked to the mutation's trace through the event's metadata, and says what it pushed to whom.
    const push = byName('live.push');
    expect(push.parentSpanId).toBe(byName('append').spanId);
    expect(push.links).toEqual([{ traceId: byName('append').traceId, spanId: byName('append').spanId }]);
    expect(push.attributes).toMatchObject({
      'ordersource.projection': 'inventory',
      'ordersource.live.kind': 'product',
      'ordersource.live.changes': 1,
      'ordersource.live.subscribers': 1,
      'graphql.subscription.fields': ['inventoryChanged'],
      'ordersource.live.subscribers.inventoryChanged': 1,
    });
    expect(push.attributes['ordersource.live.positions']).toEqual([push.attributes['ordersource.position']]);
  });

  it("should trace a request in a trace of its own even when the caller's traceparent says not sampled, linking the caller's, and store no tracestate", async () => {
    const token = await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt);
    const sku = unique('UNSAMPLED');
    const [callerTrace, callerSpan] = ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'];
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        traceparent: `00-${callerTrace}-${callerSpan}-00`,
        tracestate: `vendor=${'s'.repeat(200)}`,
      },
      body: JSON.stringify({
        query: 'mutation($input: AddProductInput!) { addProduct(input: $input) { __typename } }',
        variables: { input: { sku, name: 'Unsampled', priceCents: 100, initialStock: 1 } },
      }),
    });
    expect(((await response.json()) as { data: { addProduct: { __typename: string } } }).data.addProduct.__typename).toBe(
      'AddProductSuccess',
    );

    let request: ExportedSpan | undefined;
    await vi.waitFor(
      async () => {
        await tracing.flush();
        request = receiver.spans.find((span) => span.links.some((link) => link.traceId === callerTrace));
        expect(request).toBeDefined();
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(request!.name).toBe('POST /graphql');
    expect(request!.traceId).not.toBe(callerTrace);
    expect(request!.parentSpanId).toBeUndefined();
    expect(request!.links).toEqual([{ traceId: callerTrace, spanId: callerSpan }]);
    await vi.waitFor(async () => {
      await tracing.flush();
      expect(receiver.spans.filter((span) => span.traceId === request!.traceId).map((span) => span.name)).toEqual(
        expect.arrayContaining(['graphql.mutation', 'command addProduct', 'append']),
      );
    });

    const stored = await server.services.db.pool.query<{ metadata: { trace?: Record<string, string> } }>(
      `SELECT metadata FROM events WHERE data->>'sku' = $1`,
      [sku],
    );
    expect(stored.rows.map((row) => row.metadata.trace)).toEqual([{ traceparent: expect.stringContaining(request!.traceId) }]);
  });
});
