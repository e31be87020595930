import { isStaff, requireUser } from '../auth/actor.js';
import { ValidationError } from '../domain/errors.js';
import { isStorableText } from '../eventStore/storableText.js';
import type { Builder } from '../graphql/builder.js';
import { consistentWithArg, readConsistently } from '../graphql/consistency.js';
import { keysetConnection } from '../graphql/cursors.js';
import { orderTypes } from '../orders/orderTypes.js';
import type { OrderView } from '../orders/orderView.js';
import type { RequestServices } from '../graphql/context.js';
import { SearchPageCache } from './searchCache.js';
import { searchOrders, type SearchPage, type SearchScope } from './searchReads.js';

/** The longest search text taken: a search box's words, not a document. */
export const MAX_QUERY_LENGTH = 200;

/**
 * The projections a search reads: the index for which orders match, the orders read model for
 * the orders themselves.
 */
const SEARCH_READS = ['search', 'orders'] as const;

/** An order found, with the rank it was found at (its cursor is the rank and the order id). */
type FoundOrder = OrderView & { rank: number };

const foundCursorKey = {
  of: (order: FoundOrder): unknown[] => [order.rank, order.id],
  isValid: (key: unknown[]): boolean =>
    key.length === 2 && typeof key[0] === 'number' && Number.isFinite(key[0]) && key[0] >= 0 && typeof key[1] === 'string',
};

/** One cache per service (a test may run two servers in one Node process). */
const caches = new WeakMap<object, SearchPageCache>();

/** A page of a search: from this process's cache when it is on (`SEARCH_CACHE_ENTRIES` > 0), else from the tables. */
function searchPage(
  services: RequestServices,
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): Promise<SearchPage> {
  const read = () => searchOrders(services.db, query, scope, page);
  if (services.config.searchCacheEntries === 0) return read();
  const { consistency } = services.readSide;
  let cache = caches.get(consistency);
  if (!cache) {
    const usable = () => services.eventStore.notifier.listening && !services.db.health.trouble();
    caches.set(consistency, (cache = new SearchPageCache(services.readSide.consistency, usable, services.config.searchCacheEntries)));
  }
  return cache.page(JSON.stringify([query, scope, page.after ?? null, page.limit]), read);
}

function checkQuery(query: string): void {
  if (query.length > MAX_QUERY_LENGTH || !isStorableText(query)) {
    throw new ValidationError([{ path: 'query', message: `must be at most ${MAX_QUERY_LENGTH} characters of text` }]);
  }
}

// A plain field rather than `t.connection`: it pages forward only (`first`, `after`), as best-match
// order has no natural "before".

/** Adds this slice's GraphQL to a schema builder. */
export function searchOrdersQuery(builder: Builder): void {
  const { OrderConnection } = orderTypes(builder);
  builder.queryField('searchOrders', (t) =>
    t.field({
      type: OrderConnection,
      description:
        'Orders whose customer name or email, order id, skus or product names match `query` (web search syntax: words, "a phrase", or, -word), ' +
        'best match first (customers: only their own). Kept by the `search` projection.',
      args: {
        query: t.arg.string({ required: true }),
        first: t.arg.int({ required: false }),
        after: t.arg.string({ required: false }),
        consistentWith: t.arg.string(consistentWithArg),
      },
      resolve: async (_root, args, ctx) => {
        const actor = requireUser(ctx.auth);
        checkQuery(args.query);
        await readConsistently(ctx, SEARCH_READS, args.consistentWith);
        const scope: SearchScope = isStaff(actor) ? { all: true } : { customerId: actor.sub };
        // The page's statement counts the matches too: totalCount asks again only without a page read.
        let counted: Promise<number> | undefined;
        return keysetConnection<FoundOrder>(
          { first: args.first, after: args.after },
          foundCursorKey,
          async (page) => {
            const found = searchPage(ctx.services, args.query, scope, {
              after: page.after as [number, string] | undefined,
              limit: page.limit,
            });
            counted = found.then((p) => p.totalCount);
            // Awaited by totalCount when asked; a failed read fails the page below either way.
            counted.catch(() => {});
            // An order the orders read model has not reached yet (a read without consistentWith) is left out.
            return (await found).found.flatMap(({ order, rank }) => (order ? [{ ...order, rank }] : []));
          },
          () => counted ?? searchPage(ctx.services, args.query, scope, { limit: 0 }).then((p) => p.totalCount),
        );
      },
    }),
  );
}
