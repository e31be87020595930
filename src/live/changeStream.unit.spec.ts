import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { changeStream, MAX_PENDING_CHANGES, SubscriberTooSlowError } from './changeStream.js';

const change = (position: number) => ({ position: BigInt(position) });

describe('changeStream', () => {
  it('delivers the initial changes, then live ones, dropping anything at or below the last delivered position', async () => {
    const feed = new EventEmitter();
    const stream = changeStream(feed, 'x', async () => {
      feed.emit('x', change(2)); // committed while the replay was being read
      feed.emit('x', change(4));
      return [change(1), change(2), change(3)];
    });
    const seen: bigint[] = [];
    for await (const c of stream) {
      seen.push(c.position);
      if (c.position === 3n) feed.emit('x', change(5));
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('listens from the moment it is created, before anything is read', async () => {
    const feed = new EventEmitter();
    const stream = changeStream(feed, 'x', async () => []);
    feed.emit('x', change(7));
    expect((await stream.next()).value).toEqual(change(7));
    await stream.return(undefined);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('removes its listener at once when the consumer leaves while it waits for a change', async () => {
    const feed = new EventEmitter();
    const stream = changeStream(feed, 'x', async () => []);
    const pending = stream.next();
    await new Promise((r) => setTimeout(r, 10));
    await stream.return(undefined);
    expect(feed.listenerCount('x')).toBe(0);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('ends a subscriber whose queue of waiting changes passes the bound, telling it to resume with after', async () => {
    const feed = new EventEmitter();
    const stream = changeStream(feed, 'x', async () => []);
    for (let i = 1; i <= MAX_PENDING_CHANGES + 1; i++) feed.emit('x', change(i));
    await expect(stream.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(feed.listenerCount('x')).toBe(0);
  });
});
