import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { startTracing, type Tracing } from '../src/observability/tracing.js';
import { apiClient, command, unique } from './support/api.js';
import { useTestServer } from './support/testServer.js';

type ExportedSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; links?: { traceId: string }[] };

/** A tiny OTLP/HTTP receiver (JSON encoding): collects every span posted to /v1/traces. */
async function startOtlpReceiver() {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] };
      for (const resource of request.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: Tracing;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The same start-up path as main.ts, from the standard variables (the exporter reads them too).
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'ordersource-test',
    });
    tracing = await startTracing();
  });
  afterAll(async () => {
    await tracing.shutdown();
    await receiver.close();
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME']) delete process.env[name];
  });
  // Started once tracing is, and stopped before it shuts down.
  const server = useTestServer();

  it('should follow one mutation from its HTTP request through the pipeline and the append to the projection batch it caused, in one trace', async () => {
    const staff = apiClient(server, await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt));
    const sku = unique('TRACED');
    expect((await command(staff, 'addProduct', { sku, name: 'Traced', priceCents: 100, initialStock: 1 })).__typename).toBe(
      'AddProductSuccess',
    );

    const deadline = Date.now() + 15_000;
    let trace: ExportedSpan[] = [];
    for (;;) {
      await tracing.flush();
      const commandSpan = receiver.spans.find((span) => span.name === 'command addProduct');
      trace = commandSpan ? receiver.spans.filter((span) => span.traceId === commandSpan.traceId) : [];
      if (trace.some((span) => span.name === 'projection inventory batch') || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const names = trace.map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /graphql',
        'graphql.mutation',
        'command addProduct',
        'load and decide',
        'append',
        'projection inventory batch',
      ]),
    );

    const byName = (name: string) => trace.find((span) => span.name === name)!;
    // Parent chain: request -> operation -> command -> append; the batch continues from the append.
    expect(byName('graphql.mutation').parentSpanId).toBe(byName('POST /graphql').spanId);
    expect(byName('command addProduct').parentSpanId).toBe(byName('graphql.mutation').spanId);
    expect(byName('append').parentSpanId).toBe(byName('command addProduct').spanId);
    expect(byName('projection inventory batch').parentSpanId).toBe(byName('append').spanId);
  });
});
