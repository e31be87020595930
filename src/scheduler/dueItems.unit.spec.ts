import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { DueItems, type DueItemSource, type ItemOutcome } from './dueItems.js';

const OPTIONS = { batchSize: 3, concurrency: 2, retryAfterFailureMs: 1_000, afterRunMs: 60_000, maxMs: 3_600_000 };

/** Items due now in a list, earliest first; running one answers the outcome given for it (default done). */
function listSource(keys: string[], outcomes: Record<string, ItemOutcome> = {}) {
  const pending = new Set(keys);
  const ran: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const source: DueItemSource<string> = {
    readDue: async (limit, skip) => [...pending].filter((k) => !skip.includes(k)).slice(0, limit),
    nextDueAt: async (skip) => ([...pending].some((k) => !skip.includes(k)) ? new Date() : undefined),
    keyOf: (key) => key,
    async run(key) {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      ran.push(key);
      const outcome = outcomes[key] ?? 'done';
      if (outcome === 'done') pending.delete(key);
      return outcome;
    },
  };
  return { source, ran, pending, mostInFlight: () => mostInFlight };
}

describe('DueItems', () => {
  it('runs every due item a page at a time, never more at once than its concurrency', async () => {
    const list = listSource(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const items = new DueItems('test', list.source, OPTIONS, createLogger('silent'));
    await items.runDue();
    expect([...list.ran].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(list.mostInFlight()).toBe(2);
    expect(await items.nextDueAt()).toBeUndefined();
  });

  it('leaves an item it was refused out of the next rounds', async () => {
    const list = listSource(['a', 'b'], { a: 'refused' });
    const items = new DueItems('test', list.source, OPTIONS, createLogger('silent'));
    await items.runDue();
    await items.runDue();
    expect(list.ran).toEqual(['a', 'b']);
    expect(list.pending).toEqual(new Set(['a']));
    expect(items.hasPending).toBe(false);
    expect(await items.nextDueAt()).toBeUndefined();
  });

  it('stops paging at a failure and puts the next round off by the pause after a failure', async () => {
    const list = listSource(['a', 'b', 'c', 'd'], { a: 'failed' });
    const items = new DueItems('test', list.source, OPTIONS, createLogger('silent'));
    await items.runDue();
    expect(list.ran.sort()).toEqual(['a', 'b', 'c']);
    const asked = Date.now();
    const next = await items.nextDueAt();
    expect(next!.getTime()).toBeGreaterThanOrEqual(asked + OPTIONS.retryAfterFailureMs);
    expect(items.hasPending).toBe(true);
  });
});
