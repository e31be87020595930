import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
} from '@opentelemetry/api';
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only variant) is
 * set. Off, nothing is loaded but the API, whose tracer is a no-op: the spans below cost a function
 * call. On, the standard SDK exports over OTLP/HTTP, protobuf or JSON as OTEL_EXPORTER_OTLP_PROTOCOL
 * says; the exporter reads the other standard variables (headers, timeout, the endpoint itself)
 * and the resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */

const tracer = () => trace.getTracer('ordersource');

/**
 * Whether an exporter is registered. Off, the helpers below skip the API altogether: its no-op
 * spans still cost a context, a span object and an async wrapper (a promise or two) per call,
 * several times per request, which showed in profiles of the mutation path.
 */
let tracingOn = false;
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Stops the exporter after sending what is buffered. */
export interface Tracing {
  enabled: boolean;
  /** Sends the finished spans now (tests; a shutdown does it too). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };

/**
 * True while an exporter is registered. Hot paths whose span needs work of its own (a query, a
 * walk over subscribers) ask this first, so that with tracing off they do none of it.
 */
export const tracingEnabled = (): boolean => tracingOn;

/** Registers the global tracer provider when the environment asks for an exporter. */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return OFF;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (got ${protocol}); gRPC is not included`);
  }
  const [
    { TracerProvider, BatchSpanProcessor },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { detectResources, envDetector, resourceFromAttributes },
    exporters,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': 'ordersource' }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new exporters.OTLPTraceExporter() })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  tracingOn = true;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    async shutdown() {
      tracingOn = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Runs `fn` in a child span of the active one, recording a thrown error. */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { parent?: Context; links?: Link[] } = {},
): Promise<T> {
  if (!tracingOn) return fn(NO_SPAN);
  return tracer().startActiveSpan(name, { attributes, links: options.links }, options.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The active trace context as its W3C `traceparent` alone, to keep in an event's metadata. Never
 * `tracestate`: that is vendor text, possibly a caller's, and the log keeps it for ever.
 */
export function traceCarrier(): Record<string, string> | undefined {
  if (!tracingOn) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent } : undefined;
}

/**
 * The span context a batch of events continues: the one trace they all came from (a batch of one
 * mutation's events), else none; every event's own trace is also a link, so a batch that mixes
 * mutations is found from each of them.
 */
export function batchTraceContext(carriers: readonly (Record<string, string> | undefined)[]): { parent?: Context; links: Link[] } {
  if (!tracingOn) return { links: [] };
  const contexts = new Map<string, Link>();
  for (const carrier of carriers) {
    if (!carrier?.traceparent) continue;
    const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
    if (spanContext && !contexts.has(spanContext.spanId)) contexts.set(spanContext.spanId, { context: spanContext });
  }
  const links = [...contexts.values()];
  const traces = new Set(links.map((link) => link.context.traceId));
  const parent = traces.size === 1 ? trace.setSpanContext(ROOT_CONTEXT, links[0]!.context) : ROOT_CONTEXT;
  return { parent, links };
}

/**
 * Records a span for work already done (from `startTime` to `endTime`), in the trace of the events
 * it handled and linked to each of their traces (see batchTraceContext).
 */
export function recordSpan(
  name: string,
  attributes: Attributes,
  carriers: readonly (Record<string, string> | undefined)[],
  startTime: number,
  endTime: number,
): void {
  const { parent, links } = batchTraceContext(carriers);
  tracer().startSpan(name, { attributes, links, startTime }, parent).end(endTime);
}

/**
 * Serves one HTTP request inside a server span of a trace of our own, linked to the caller's
 * `traceparent` when it sends one. Not its child: a remote parent would choose the trace id and,
 * with its sampled flag off, switch tracing off for the request and every command, append and
 * projection batch it causes.
 */
export function inHttpSpan(req: IncomingMessage, res: ServerResponse, serve: () => void): void {
  if (!tracingOn) return serve();
  const remote = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: req.headers.traceparent }));
  const path = (req.url ?? '/').split('?')[0];
  const span = tracer().startSpan(
    `${req.method} ${path}`,
    {
      kind: SpanKind.SERVER,
      root: true,
      attributes: { 'http.request.method': req.method, 'url.path': path },
      links: remote && isSpanContextValid(remote) ? [{ context: remote }] : [],
    },
    ROOT_CONTEXT,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(ROOT_CONTEXT, span), serve);
}

/** A span per GraphQL operation (its type and name), the resolvers running inside it. */
export function useOperationSpans(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!tracingOn) return;
      const operation = (args.document as DocumentNode).definitions.find(
        (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
      );
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value ?? args.operationName ?? '';
      setExecuteFn((executeArgs) =>
        inSpan(`graphql.${type}${name ? ` ${name}` : ''}`, { 'graphql.operation.type': type, 'graphql.operation.name': name }, async () =>
          executeFn(executeArgs),
        ),
      );
    },
  };
}
