import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { isStaff, type Authentication } from '../auth/actor.js';

/**
 * Automatic persisted queries (Apollo's protocol) and trusted documents.
 *
 * A request may carry `extensions.persistedQuery = { version: 1, sha256Hash }` instead of (or with)
 * its text. Without text, the hash is looked up in the trusted-documents manifest and then in the
 * APQ store; unknown, it answers `PersistedQueryNotFound` and the client retries with the text,
 * which is stored under its hash (checked) for next time. In trusted-documents mode, callers that
 * are not staff may only name a manifest hash: text, or a hash outside the manifest, is refused
 * with TRUSTED_DOCUMENT_REQUIRED.
 *
 * Yoga's own APQ plugin is not used: its current release still requires the previous major of
 * @graphql-tools/utils, which the rest of the install has moved past. The protocol is this file.
 */

/** Where registered APQ texts live: in process (bounded LRU), or Redis shared by every process. */
export interface PersistedQueryStore {
  get(hash: string): Promise<string | undefined>;
  set(hash: string, query: string): Promise<void>;
}

/**
 * A bounded in-process store, by count and by bytes (a hash and its text): the least recently used
 * texts go first, and a text larger than the whole bound is not kept at all.
 */
export function memoryPersistedQueryStore(maxEntries: number, maxBytes: number = Number.MAX_SAFE_INTEGER): PersistedQueryStore {
  const cache = new LRUCache<string, string>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (query, hash) => Buffer.byteLength(query) + hash.length,
  });
  return {
    get: async (hash) => cache.get(hash),
    set: async (hash, query) => void cache.set(hash, query),
  };
}

const REDIS_PREFIX = 'ordersource:apq:';

/**
 * A store shared across processes through Redis, so a text registered on one process serves a hash
 * on another; each entry expires `ttlSeconds` after its last registration (Redis bounds it, not us).
 */
export function redisPersistedQueryStore(redis: Redis, ttlSeconds: number): PersistedQueryStore {
  return {
    get: async (hash) => (await redis.get(REDIS_PREFIX + hash)) ?? undefined,
    set: async (hash, query) => void (await redis.set(REDIS_PREFIX + hash, query, 'EX', ttlSeconds)),
  };
}

/** The dashboard's operations, hashed by its codegen and copied here by `npm run dashboard:build`. */
export const DASHBOARD_MANIFEST = fileURLToPath(new URL('../../dashboard/dist/trusted-documents.json', import.meta.url));

/** A manifest as GraphQL Code Generator's client preset writes it: `{ "<sha256>": "<document>" }`. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/** Reads and merges manifests; a missing or malformed one fails the start with its path. */
export async function loadTrustedDocuments(paths: readonly string[]): Promise<TrustedDocuments> {
  const documents = new Map<string, string>();
  for (const file of paths) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `trusted documents: cannot read the manifest ${file} (${(error as Error).message}); build it with \`npm run build\``,
        { cause: error },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`trusted documents: ${file} is not an object of hash to document`);
    for (const [key, document] of Object.entries(parsed)) {
      const hash = withoutAlgorithm(key);
      if (typeof document !== 'string' || sha256(document) !== hash)
        throw new Error(`trusted documents: in ${file}, ${key} is not the sha256 of its document`);
      documents.set(hash, document);
    }
  }
  return documents;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// The client preset names hashes `sha256:<hex>` (in its manifest and in the documents it generates);
// Apollo's link sends the bare hex. Both name the same document.
const withoutAlgorithm = (hash: string): string => (hash.startsWith('sha256:') ? hash.slice('sha256:'.length) : hash);

/** The error codes of this file (public contract, see the README). */
export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND';
export const TRUSTED_DOCUMENT_REQUIRED = 'TRUSTED_DOCUMENT_REQUIRED';
export const PERSISTED_QUERY_INVALID = 'PERSISTED_QUERY_INVALID';

// Apollo's clients recognise the message (older ones) or the code (newer ones) and retry with the text.
const notFound = () => new GraphQLError('PersistedQueryNotFound', { extensions: { code: PERSISTED_QUERY_NOT_FOUND } });
const trustedOnly = () =>
  new GraphQLError(
    'Only trusted documents are accepted: send the sha256Hash of an operation from the manifest in extensions.persistedQuery, without its text.',
    {
      extensions: { code: TRUSTED_DOCUMENT_REQUIRED, http: { status: 403 } },
    },
  );
const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: PERSISTED_QUERY_INVALID, http: { status: 400 } } });

/** The hash a request names, if it names one. */
export function persistedQueryHash(extensions: unknown): string | undefined {
  const persisted = (extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
  if (persisted === undefined || persisted === null) return undefined;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) throw badRequest('extensions.persistedQuery.version must be 1');
  const hash = typeof sha256Hash === 'string' ? withoutAlgorithm(sha256Hash) : '';
  if (!/^[0-9a-f]{64}$/.test(hash)) throw badRequest('extensions.persistedQuery.sha256Hash must be 64 hexadecimal characters');
  return hash;
}

export interface PersistedQueriesOptions {
  store: PersistedQueryStore;
  trustedDocuments: TrustedDocuments;
  /** Non-staff callers may run manifest operations only. */
  trustedDocumentsOnly: boolean;
  /** The caller of a request (only asked in trusted-documents mode). */
  authenticate(request: Request): Promise<Authentication>;
  /** Gives a refusal its request id and logs it (the context, which does that later, is not built yet). */
  refused?(request: Request, error: unknown): unknown;
}

/**
 * The text a request runs: its own, the manifest's or the store's for its hash. Shared by HTTP
 * (the plugin below) and graphql-ws (app.ts), so both transports keep the same rules.
 */
export async function resolvePersistedQuery(
  options: Omit<PersistedQueriesOptions, 'authenticate'>,
  params: { query?: unknown; extensions?: unknown },
  auth: () => Promise<Authentication>,
): Promise<string | undefined> {
  if (params.query !== undefined && params.query !== null && typeof params.query !== 'string') throw badRequest('query must be a string');
  const hash = persistedQueryHash(params.extensions);
  if (options.trustedDocumentsOnly && !isStaff((await auth()).actor)) {
    if (params.query || hash === undefined) throw trustedOnly();
    const trusted = options.trustedDocuments.get(hash);
    if (trusted === undefined) throw notFound();
    return trusted;
  }
  if (hash === undefined) return params.query ?? undefined;
  if (params.query) {
    if (sha256(params.query) !== hash) throw badRequest('extensions.persistedQuery.sha256Hash is not the sha256 of the query');
    // Not stored yet: only once it has parsed and passed validation (see registerValidated).
    return params.query;
  }
  const known = options.trustedDocuments.get(hash) ?? (await options.store.get(hash));
  if (known === undefined) throw notFound();
  return known;
}

/**
 * Stores a text sent with its hash, once validation has passed: the store never keeps text that is
 * not a valid operation (anyone may register, so junk would only crowd out real clients' entries).
 * The hash was checked against the text when the request's text was resolved.
 */
async function registerValidated(store: PersistedQueryStore, params: { query?: unknown; extensions?: unknown } | undefined) {
  if (typeof params?.query !== 'string') return;
  const hash = persistedQueryHash(params.extensions);
  if (hash !== undefined && sha256(params.query) === hash) await store.set(hash, params.query);
}

/**
 * The Yoga plugin: resolves every HTTP request's text before Yoga parses it, and stores a
 * registration once its document is valid, over HTTP and graphql-ws alike (both validate through
 * Yoga's envelop with `params` in the context). A refused request is a 400 that carries the
 * request id, which is logged with the reason.
 */
export function usePersistedQueries(options: PersistedQueriesOptions): Plugin<{ params?: { query?: unknown; extensions?: unknown } }> {
  // Stored before the operation runs, so the answer to a registration means the hash now works.
  // Keyed by the request's params: the one object validation and execution both see, per transport.
  const registering = new WeakMap<object, Promise<void>>();
  const registered = async (context: unknown) => {
    const params = (context as { params?: object } | undefined)?.params;
    if (params) await registering.get(params);
  };
  return {
    async onParams({ params, request, setParams }) {
      let query: string | undefined;
      try {
        query = await resolvePersistedQuery(options, params, () => options.authenticate(request));
      } catch (error) {
        throw options.refused?.(request, error) ?? error;
      }
      if (query !== params.query) setParams({ ...params, query });
    },
    onValidate:
      ({ context }) =>
      ({ valid }) => {
        // A store that fails (Redis away) costs the client a resend of its text, not its answer.
        if (valid && context.params)
          registering.set(
            context.params,
            registerValidated(options.store, context.params).catch(() => {}),
          );
      },
    onExecute: ({ args }) => registered(args.contextValue),
    onSubscribe: ({ args }) => registered(args.contextValue),
  };
}
