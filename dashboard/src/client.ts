import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import introspection from './gql/possibleTypes.js';

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
 * Every operation by its hash alone (Apollo's persisted-query protocol), never its text: the hash
 * the codegen wrote into the document (`__meta__.hash`), which names the same document in the
 * trusted-documents manifest the server loads from the same build. An operation written without
 * the codegen's `graphql()` has no hash and fails here rather than being sent as text. There is no
 * retry with the text: the server knows every hash of its own dashboard, and no query text is to
 * go over the wire.
 */
const byHashOnly = () =>
  new PersistedQueryLink({
    generateHash: (document: DocumentNode) => {
      const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
      if (!hash) throw new Error('this operation is not in the trusted-documents manifest: write it with graphql() from ./gql');
      // The client preset spells it `sha256:<hex>`; Apollo's protocol sends the bare hex.
      return hash.replace(/^sha256:/, '');
    },
    retry: () => false,
  });

/**
 * graphql-ws always sends a `query` string: with a persisted hash in the extensions it is left
 * empty, so subscriptions go by hash over the socket too (the server resolves it from the
 * manifest, as over HTTP).
 */
function hashedSubscriptions(ws: Client): Client {
  return {
    ...ws,
    subscribe: (payload, sink) => ws.subscribe(payload.extensions?.persistedQuery ? { ...payload, query: '' } : payload, sink),
  };
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

  const link = byHashOnly().concat(
    ApolloLink.split(
      (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
      new GraphQLWsLink(hashedSubscriptions(ws)),
      new HttpLink({ uri: GRAPHQL_PATH, headers: { authorization } }),
    ),
  );

  const apollo = new ApolloClient({
    link,
    cache: new InMemoryCache({
      // The members of every result union and of `Error` (generated from the schema), so a typed
      // refusal read through the cache keeps the fields its `... on Error` fragment asked for.
      possibleTypes: introspection.possibleTypes,
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
