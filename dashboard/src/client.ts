import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';

/** Where the WebSocket stands, shown in the header. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

/** A tiny store for the connection state, read with useSyncExternalStore. */
export interface ConnectionStore {
  get(): ConnectionState;
  subscribe(listener: () => void): () => void;
}

export interface DashboardClient {
  apollo: ApolloClient;
  connection: ConnectionStore;
  dispose(): void;
}

// The dashboard is served by the API server itself, so the API is on the same origin.
const GRAPHQL_PATH = '/graphql';

function webSocketUrl(): string {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * An Apollo client for one staff token: queries over HTTP with `Authorization: Bearer <token>`,
 * subscriptions over graphql-ws with the same value in `connectionParams.authorization`. A new
 * token gets a new client, so no cached data outlives the identity that fetched it.
 */
export function createDashboardClient(token: string): DashboardClient {
  const authorization = `Bearer ${token}`;
  let state: ConnectionState = 'connecting';
  const listeners = new Set<() => void>();
  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of listeners) listener();
  };

  const ws = createClient({
    url: webSocketUrl(),
    connectionParams: { authorization },
    // Connected from the start and kept open on every screen, also one with no subscription (the
    // projections panel polls), so the header's connection state always means something.
    lazy: false,
    // A restarted server or a dropped network must not end a live dashboard: keep retrying (with
    // graphql-ws's randomised backoff); subscriptions resume with the current state first.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connecting: () => setState(state === 'connected' ? 'reconnecting' : state),
      connected: (_socket, _payload, wasRetry) => {
        setState('connected');
        // The feeds push only what happens while connected: after a reconnect, read the screens
        // again so changes made during the gap are not missing from them.
        if (wasRetry) void apollo.refetchQueries({ include: 'active' });
      },
      closed: () => setState('reconnecting'),
    },
  });

  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(ws),
    new HttpLink({ uri: GRAPHQL_PATH, headers: { authorization } }),
  );

  const apollo = new ApolloClient({
    link,
    cache: new InMemoryCache({
      // Products are identified by sku and projections by name (neither has an `id`), so a pushed
      // product or a retried projection updates its row.
      typePolicies: { Product: { keyFields: ['sku'] }, ProjectionStatus: { keyFields: ['name'] } },
    }),
  });

  return {
    apollo,
    connection: {
      get: () => state,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    dispose() {
      apollo.stop();
      void ws.dispose();
    },
  };
}
