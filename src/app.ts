import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, GraphQLError, subscribe, type DocumentNode, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createDashboardHandler } from './dashboard/serveDashboard.js';
import type { GraphQLContext } from './graphql/context.js';
import { maskResolverError } from './graphql/security/unexpectedErrors.js';
import { DASHBOARD_MANIFEST, loadTrustedDocuments, resolvePersistedQuery } from './graphql/persistedQueries.js';
import { createGraphQLServer, yogaMaskError } from './graphql/yoga.js';
import { closeIfTooSlow, wsDelivery } from './live/liveDelivery.js';
import { inHttpSpan } from './observability/tracing.js';
import type { Services } from './services.js';

/** A running HTTP + WebSocket server. */
export interface App {
  url: string;
  port: number;
  /** Graceful stop: refuse new work, finish in-flight requests, close sockets with 1001. */
  stop(timeoutMs?: number): Promise<void>;
}

type EnvelopedRoot = { execute: typeof execute; subscribe: typeof subscribe };

/** Parses as Yoga would; a syntax error or a refused document (too many tokens) is an error message, not a crash. */
function parseOrErrors(parse: (source: string) => DocumentNode, source: string): DocumentNode | GraphQLError[] {
  try {
    return parse(source);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
}

/** Starts Yoga and graphql-ws on one port: HTTP on `/graphql` and its WebSocket upgrade. */
export async function startApp(services: Services, listen: { port: number; host: string }): Promise<App> {
  // The manifests matter only in trusted-documents mode, and then a missing one fails the start.
  const { only: trustedDocumentsOnly, extraManifests } = services.config.trustedDocuments;
  const trustedDocuments = trustedDocumentsOnly ? await loadTrustedDocuments([DASHBOARD_MANIFEST, ...extraManifests]) : new Map<string, string>();
  const yoga = createGraphQLServer(services, trustedDocuments);
  // /dashboard is the built dashboard's static files; everything else is Yoga's.
  const dashboard = createDashboardHandler({ logger: services.logger });
  const { requestTimeoutMs, headersTimeoutMs, maxBodyBytes } = services.config;
  // A client must deliver its whole request within requestTimeout (headers within headersTimeout),
  // else 408: slow senders cannot hold sockets. Responses (SSE streams) are not bounded by it.
  const timeouts = { requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.ceil(headersTimeoutMs / 2)) };
  const server = http.createServer(timeouts, (req, res) =>
    dashboard.handles(req.url) ? dashboard.handle(req, res) : inHttpSpan(req, res, () => void yoga.requestListener(req, res)),
  );
  // A WebSocket message beyond MAX_BODY_BYTES closes the socket with 1009 (message too big).
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: maxBodyBytes });

  // The graphql-ws recipe from Yoga's docs: every operation goes through Yoga's envelop, so
  // plugins, context and error masking are the same over WebSocket as over HTTP.
  const wsDisposable = useServer(
    {
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // Backpressure: each socket's unsent bytes are bounded (live deliveries check the same bound).
      onNext: (ctx) => void closeIfTooSlow(ctx.extra.socket, services.config.wsMaxBufferedBytes),
      onSubscribe: async (ctx, id, params) => {
        // `req` (the upgrade request) identifies an anonymous caller's address, as over HTTP.
        const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams, params, req: ctx.extra.request });
        const contextValue = (await enveloped.contextFactory()) as GraphQLContext;
        // Yoga's onParams does not run here: the same persisted-query rules, applied by hand.
        let query: string | undefined;
        try {
          const persisted = { store: services.persistedQueryStore, trustedDocuments, trustedDocumentsOnly };
          query = await resolvePersistedQuery(persisted, params, async () => contextValue.auth);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        if (!query) return [new GraphQLError('Must provide query string.')];
        const document = parseOrErrors(enveloped.parse, query);
        if (Array.isArray(document)) return document;
        const args = {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        const errors = enveloped.validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        // Once caught up, a subscription's live changes skip the per-subscriber pipeline (see changeStream.ts).
        contextValue.liveDelivery = wsDelivery({
          socket: ctx.extra.socket, id, args, operation: { ...params, query }, auth: contextValue.auth,
          maxBufferedBytes: services.config.wsMaxBufferedBytes,
          maskError: (error) => maskResolverError(error, contextValue, services.logger, yogaMaskError),
        });
        return args;
      },
    },
    wsServer,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}${yoga.graphqlEndpoint}`;

  return {
    url,
    port,
    async stop(timeoutMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of wsServer.clients) socket.close(1001, 'server shutting down');
      await wsDisposable.dispose();
      // In-flight requests finish on their own; a keep-alive connection is closed as soon as its
      // response is out, and stragglers past the timeout are cut off.
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
    },
  };
}
