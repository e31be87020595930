import { describe, expect, it } from 'vitest';
import { StateCache } from './stateCache.js';

const entry = (version: number, schemaVersion = 1) => ({ version, schemaVersion, state: { version }, snapshotVersion: 0 });

describe('the state cache', () => {
  it('gives back a kept state only to code with the same snapshot schema version', () => {
    const cache = new StateCache();
    cache.put('Order-1', entry(3));
    expect(cache.get('Order-1', 1)).toEqual(entry(3));
    expect(cache.get('Order-1', 2)).toBeUndefined();
    expect(cache.get('Order-2', 1)).toBeUndefined();
  });

  it('never steps a stream back to an older version than the one it keeps', () => {
    const cache = new StateCache();
    cache.put('Order-1', entry(5));
    cache.put('Order-1', entry(4));
    expect(cache.get('Order-1', 1)?.version).toBe(5);
    cache.put('Order-1', entry(6));
    expect(cache.get('Order-1', 1)?.version).toBe(6);
  });

  it('replaces a state folded by other code, whatever its version', () => {
    const cache = new StateCache();
    cache.put('Order-1', entry(9, 1));
    cache.put('Order-1', entry(2, 2));
    expect(cache.get('Order-1', 2)?.version).toBe(2);
  });

  it('forgets the least recently used streams beyond its bound', () => {
    const cache = new StateCache(2);
    cache.put('a', entry(1));
    cache.put('b', entry(1));
    cache.get('a', 1);
    cache.put('c', entry(1));
    expect(cache.get('a', 1)).toBeDefined();
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('c', 1)).toBeDefined();
  });

  it('keeps nothing when turned off with 0 streams', () => {
    const cache = new StateCache(0);
    cache.put('Order-1', entry(1));
    expect(cache.get('Order-1', 1)).toBeUndefined();
  });
});
