import http from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { execute, getOperationAST, GraphQLError, subscribe, type DocumentNode, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createDashboardHandler } from './dashboard/serveDashboard.js';
import type { GraphQLContext } from './graphql/context.js';
import { maskResolverError } from './graphql/security/unexpectedErrors.js';
import { DASHBOARD_MANIFEST, loadTrustedDocuments, resolvePersistedQuery } from './graphql/persistedQueries.js';
import { createGraphQLServer, yogaMaskError } from './graphql/yoga.js';
import { closeIfTooSlow, wsDelivery } from './live/liveDelivery.js';
import { SocketSubscriptions } from './live/socketSubscriptions.js';
import { limitSocketsPerAddress } from './live/socketsPerAddress.js';
import { Turns } from './live/turns.js';
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

/** How long a connection closed after a 413 keeps reading (and discarding) what the client still sends. */
const LINGER_AFTER_TOO_LARGE_MS = 2_000;

/**
 * After a 413 the client may still be sending the refused body. Closing the socket with unread
 * data makes the kernel answer with a reset, which can destroy the 413 before the client reads it
 * and breaks the client's pooled connection. So the close is staged (RFC 9112, "tear-down"): our
 * side ends once the answer is out, and the socket is destroyed when the client closes its side,
 * or after LINGER_AFTER_TOO_LARGE_MS. Node's server calls `destroySoon` for a `Connection: close`
 * answer (which every 413 is, see useRequestBodyLimit), so that call is what changes.
 */
function closeInStagesAfterTooLarge(res: http.ServerResponse): void {
  res.prependOnceListener('finish', () => {
    const socket = res.socket;
    if (res.statusCode !== 413 || !socket) return;
    socket.destroySoon = () => {
      socket.end();
      socket.resume();
      const timer = setTimeout(() => socket.destroy(), LINGER_AFTER_TOO_LARGE_MS).unref();
      socket.once('close', () => clearTimeout(timer));
    };
  });
}

/** Starts Yoga and graphql-ws on one port: HTTP on `/graphql` and its WebSocket upgrade. */
export async function startApp(services: Services, listen: { port: number; host: string }): Promise<App> {
  // The dashboard sends its operations by hash alone, so its manifest is loaded whenever it is built
  // (an unbuilt dashboard is not served either); in trusted-documents mode a missing one fails the start.
  const { only: trustedDocumentsOnly, extraManifests } = services.config.trustedDocuments;
  const dashboardManifest = trustedDocumentsOnly || existsSync(DASHBOARD_MANIFEST) ? [DASHBOARD_MANIFEST] : [];
  const trustedDocuments = await loadTrustedDocuments([...dashboardManifest, ...(trustedDocumentsOnly ? extraManifests : [])]);
  const yoga = createGraphQLServer(services, trustedDocuments);
  // /dashboard is the built dashboard's static files; everything else is Yoga's.
  const dashboard = createDashboardHandler({ logger: services.logger, settings: { currency: services.config.currency } });
  const { requestTimeoutMs, headersTimeoutMs, maxBodyBytes } = services.config;
  // A client must deliver its whole request within requestTimeout (headers within headersTimeout),
  // else 408: slow senders cannot hold sockets. Responses (SSE streams) are not bounded by it.
  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.ceil(headersTimeoutMs / 2)),
  };
  const server = http.createServer(timeouts, (req, res) => {
    if (dashboard.handles(req.url)) return dashboard.handle(req, res);
    closeInStagesAfterTooLarge(res);
    return inHttpSpan(req, res, () => void yoga.requestListener(req, res));
  });
  // A WebSocket message beyond MAX_BODY_BYTES closes the socket with 1009 (message too big).
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: maxBodyBytes });
  limitSocketsPerAddress(wsServer, services.config.wsMaxConnectionsPerAddress);

  const socketSubscriptions = new WeakMap<WebSocket, SocketSubscriptions>();
  const firstReads = new Turns(services.config.wsSubscriptions.maxStartingPerProcess);
  const subscriptionsOf = (socket: WebSocket): SocketSubscriptions => {
    let subscriptions = socketSubscriptions.get(socket);
    if (!subscriptions)
      socketSubscriptions.set(socket, (subscriptions = new SocketSubscriptions(services.config.wsSubscriptions, Date.now, firstReads)));
    return subscriptions;
  };

  // The graphql-ws recipe from Yoga's docs: every operation goes through Yoga's envelop, so
  // plugins, context and error masking are the same over WebSocket as over HTTP.
  const wsDisposable = useServer(
    {
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onNext: (ctx, id, payload) => {
        subscriptionsOf(ctx.extra.socket).firstResultSent(id, payload);
        // Backpressure: each socket's unsent bytes are bounded (live deliveries check the same bound).
        closeIfTooSlow(ctx.extra.socket, services.config.wsMaxBufferedBytes);
      },
      onError: (ctx, id, payload) => void subscriptionsOf(ctx.extra.socket).ended(id, payload),
      onComplete: (ctx, id, payload) => subscriptionsOf(ctx.extra.socket).ended(id, payload),
      onSubscribe: async (ctx, id, params) => {
        const { socket } = ctx.extra;
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
        // Subscriptions are bounded per socket (count, rate, first reads in flight); see SocketSubscriptions.
        const subscriptions = subscriptionsOf(socket);
        const isSubscription = getOperationAST(document, params.operationName)?.operation === 'subscription';
        if (isSubscription && subscriptions.has(id)) {
          // graphql-ws forgets an id as soon as the client completes it, while the old subscription
          // may still be ending: refuse the reuse as graphql-ws refuses a duplicate, so that no
          // subscription escapes the count (and the teardown when the socket goes).
          socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
          return [new GraphQLError(`subscription ${id} is still ending`)];
        }
        const refused = isSubscription ? subscriptions.admit(id, params) : undefined;
        if (refused) return [refused];
        const args = {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: {
            execute: enveloped.execute,
            // A socket that is gone ends its subscriptions a few hundred at a time (see endingInTurns).
            subscribe: async (subscribeArgs: ExecutionArgs) => {
              const result = await enveloped.subscribe(subscribeArgs);
              return Symbol.asyncIterator in result
                ? subscriptions.endingInTurns(result, () => socket.readyState !== WebSocket.OPEN)
                : result;
            },
          },
        };
        const errors = enveloped.validate(args.schema, args.document);
        if (errors.length > 0) {
          subscriptions.ended(id, params);
          return errors;
        }
        const initialRead = isSubscription ? await subscriptions.turnToStart(id, params) : undefined;
        if (isSubscription && !(id in ctx.subscriptions)) {
          // The client completed it while it waited for its turn: read nothing for it.
          subscriptions.ended(id, params);
          return [new GraphQLError('completed before it started')];
        }
        // Once caught up, a subscription's live changes skip the per-subscriber pipeline (see changeStream.ts).
        contextValue.liveDelivery = wsDelivery({
          socket,
          id,
          args,
          operation: { ...params, query },
          auth: contextValue.auth,
          maxBufferedBytes: services.config.wsMaxBufferedBytes,
          maskError: (error) => maskResolverError(error, contextValue, services.logger, yogaMaskError),
          onInitialRead: initialRead,
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
