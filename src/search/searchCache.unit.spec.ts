import { describe, expect, it } from 'vitest';
import { SearchPageCache } from './searchCache.js';
import type { SearchPage } from './searchReads.js';

/** A progress source the test moves by hand, as heard batches and reconnects would. */
function progress() {
  const moved = new Set<(name: string, position: bigint) => void>();
  const reconnected = new Set<() => void>();
  return {
    onProgress: (listener: (name: string, position: bigint) => void) => (moved.add(listener), () => moved.delete(listener)),
    onReconnect: (listener: () => void) => (reconnected.add(listener), () => reconnected.delete(listener)),
    batch: (name: string, position: bigint) => moved.forEach((listener) => listener(name, position)),
    reconnect: () => reconnected.forEach((listener) => listener()),
  };
}

const pageOf = (totalCount: number): SearchPage => ({ totalCount, found: [] });

describe('the search page cache', () => {
  it('answers a search asked again from memory until a search or orders batch is heard of', async () => {
    const source = progress();
    const cache = new SearchPageCache(source, () => true, 10);
    let reads = 0;
    const read = async () => pageOf(++reads);
    expect((await cache.page('ada', read)).totalCount).toBe(1);
    expect((await cache.page('ada', read)).totalCount).toBe(1);
    source.batch('sales', 5n);
    expect((await cache.page('ada', read)).totalCount).toBe(1);
    source.batch('orders', 6n);
    expect((await cache.page('ada', read)).totalCount).toBe(2);
    source.batch('search', 7n);
    expect((await cache.page('ada', read)).totalCount).toBe(3);
    source.reconnect();
    expect((await cache.page('ada', read)).totalCount).toBe(4);
  });

  it('does not keep a page whose read was overtaken by a batch heard meanwhile', async () => {
    const source = progress();
    const cache = new SearchPageCache(source, () => true, 10);
    let reads = 0;
    const first = cache.page('ada', async () => {
      source.batch('search', 9n);
      return pageOf(++reads);
    });
    expect((await first).totalCount).toBe(1);
    expect((await cache.page('ada', async () => pageOf(++reads))).totalCount).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('reads the tables every time while answers from memory cannot be vouched for', async () => {
    const source = progress();
    let usable = false;
    const cache = new SearchPageCache(source, () => usable, 10);
    let reads = 0;
    const read = async () => pageOf(++reads);
    await cache.page('ada', read);
    await cache.page('ada', read);
    expect(reads).toBe(2);
    expect(cache.size).toBe(0);
    usable = true;
    await cache.page('ada', read);
    await cache.page('ada', read);
    expect(reads).toBe(3);
  });

  it('hands out pages nobody can change', async () => {
    const cache = new SearchPageCache(progress(), () => true, 10);
    const page = await cache.page('ada', async () => ({
      totalCount: 1,
      found: [{ orderId: 'o-1', rank: 0.5, order: null }],
    }));
    expect(Object.isFrozen(page) && Object.isFrozen(page.found) && Object.isFrozen(page.found[0])).toBe(true);
  });
});
