import { LRUCache } from 'lru-cache';
import type { ReadModelConsistency } from '../projections/consistency.js';
import type { SearchPage } from './searchReads.js';

/** The read models a search page is made of: a batch of either may change any page. */
const READS = new Set(['search', 'orders']);

/**
 * A safety net, not the way entries normally go: anything that changes the rows without a batch
 * this process hears of (a rebuild swapping in new tables at the same position) shows within this
 * long.
 */
const MAX_AGE_MS = 10_000;

interface Entry {
  page: SearchPage;
  /** The generation the page was read in. */
  generation: number;
}

/**
 * The search pages this process answered, so that the same search asked again (a dashboard's
 * filter box, a popular name) is answered from memory while nothing changed. At a thousand matches
 * a page costs PostgreSQL the ranking of every match; from memory it costs a lookup.
 *
 * Every batch of the search or orders projection this process hears of (from whichever process
 * ran it), and every reconnect of its progress source, starts a new generation, and a page is
 * served only in the generation it was read in, which began before its read: so it holds every
 * batch heard of before it is served, and a read after `consistentWith` (which waits until the
 * batch is heard of) never gets a page older than its position. While this process does not hear
 * progress (its listener is away) or the database is in trouble, nothing is answered from memory.
 * It caches pages only: whose orders a search may see is part of the key.
 */
export class SearchPageCache {
  private readonly entries: LRUCache<string, Entry>;
  private generation = 0;

  constructor(
    consistency: Pick<ReadModelConsistency, 'onProgress' | 'onReconnect'>,
    /** Whether answers from memory may be given now (this process hears progress, the database answers). */
    private readonly usable: () => boolean,
    maxEntries: number,
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttl: MAX_AGE_MS, ttlAutopurge: false });
    consistency.onProgress((name) => {
      if (READS.has(name)) this.forgetAll();
    });
    consistency.onReconnect(() => this.forgetAll());
  }

  /** The page under `key`: from memory when read in this generation, else from `read` (and kept). */
  async page(key: string, read: () => Promise<SearchPage>): Promise<SearchPage> {
    const generation = this.generation;
    const usable = this.usable();
    const entry = this.entries.get(key);
    if (usable && entry?.generation === generation) return entry.page;
    const page = await read();
    // Read in a generation that has ended meanwhile: it may predate a batch heard since.
    if (usable && this.generation === generation) this.entries.set(key, { page: freeze(page), generation });
    return page;
  }

  /** How many pages are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}

/** Shared by every request that gets it from memory: nobody may change it. */
function freeze(page: SearchPage): SearchPage {
  for (const found of page.found) {
    if (found.order) {
      for (const item of found.order.items) Object.freeze(item);
      Object.freeze(found.order.items);
      Object.freeze(found.order);
    }
    Object.freeze(found);
  }
  Object.freeze(page.found);
  return Object.freeze(page);
}
