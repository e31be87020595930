import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Authentication } from '../auth/actor.js';
import { changeStream, MAX_PENDING_CHANGES, SubscriberTooSlowError } from './changeStream.js';
import type { LiveDelivery } from './liveDelivery.js';

type Change = { position: bigint };
const change = (position: number): Change => ({ position: BigInt(position) });
const stream = (
  feed: EventEmitter,
  initial: () => Promise<Change[]> = async () => [],
  extra: { delivery?: LiveDelivery; auth?: Authentication } = {},
) => changeStream<Change, Change>({ feed, event: 'x', initial, map: (c) => c, ...extra });

/** A delivery that records what it was handed, in order. */
function recordingDelivery(): LiveDelivery & { sent: bigint[] } {
  const sent: bigint[] = [];
  return { sent, send: async (value) => void sent.push((value as Change).position) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('changeStream', () => {
  it('delivers the initial changes, then live ones, dropping anything at or below the last delivered position', async () => {
    const feed = new EventEmitter();
    const changes = stream(feed, async () => {
      feed.emit('x', change(2)); // committed while the replay was being read
      feed.emit('x', change(4));
      return [change(1), change(2), change(3)];
    });
    const seen: bigint[] = [];
    for await (const c of changes) {
      seen.push(c.position);
      if (c.position === 3n) feed.emit('x', change(5));
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('listens from the moment it is created, before anything is read', async () => {
    const feed = new EventEmitter();
    const changes = stream(feed);
    feed.emit('x', change(7));
    expect((await changes.next()).value).toEqual(change(7));
    await changes.return!(undefined);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('skips changes its map turns into nothing', async () => {
    const feed = new EventEmitter();
    const changes = changeStream<Change, Change>({
      feed,
      event: 'x',
      initial: async () => [],
      map: (c) => (c.position % 2n === 0n ? c : undefined),
    });
    feed.emit('x', change(1));
    feed.emit('x', change(2));
    expect((await changes.next()).value).toEqual(change(2));
    await changes.return!(undefined);
  });

  it('removes its listener at once when the consumer leaves while it waits for a change', async () => {
    const feed = new EventEmitter();
    const changes = stream(feed);
    const pending = changes.next();
    await tick();
    await changes.return!(undefined);
    expect(feed.listenerCount('x')).toBe(0);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('ends a subscriber whose queue of waiting changes passes the bound, telling it to resume with after', async () => {
    const feed = new EventEmitter();
    const changes = stream(feed);
    for (let i = 1; i <= MAX_PENDING_CHANGES + 1; i++) feed.emit('x', change(i));
    await expect(changes.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('hands live changes to its delivery once caught up, in order and without duplicates, keeping the iterator pending', async () => {
    const feed = new EventEmitter();
    const delivery = recordingDelivery();
    const changes = stream(feed, async () => [change(1)], { delivery });
    feed.emit('x', change(2)); // queued while catching up: goes through the iterator
    expect((await changes.next()).value).toEqual(change(1));
    expect((await changes.next()).value).toEqual(change(2));
    const pending = changes.next(); // caught up: from here on, the delivery
    await tick();
    feed.emit('x', change(2));
    feed.emit('x', change(3));
    feed.emit('x', change(4));
    await tick();
    expect(delivery.sent).toEqual([3n, 4n]);
    await changes.return!(undefined);
    expect(await pending).toEqual({ done: true, value: undefined });
    feed.emit('x', change(5));
    await tick();
    expect(delivery.sent).toEqual([3n, 4n]);
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('delivers a live change in the same turn as the feed emits it when the delivery needs no waiting', async () => {
    const feed = new EventEmitter();
    const sent: bigint[] = [];
    const delivery: LiveDelivery = { send: (value) => void sent.push((value as Change).position) };
    const changes = stream(feed, async () => [], { delivery });
    const pending = changes.next();
    await tick();
    feed.emit('x', change(1));
    feed.emit('x', change(2));
    expect(sent).toEqual([1n, 2n]);
    await changes.return!(undefined);
    await pending;
  });

  it('keeps later changes behind one whose delivery has to wait, and delivers them in order once it is done', async () => {
    const feed = new EventEmitter();
    const sent: bigint[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    // The first change's shared result is still being computed; the others are ready at once.
    const delivery: LiveDelivery = {
      send: (value) => {
        const position = (value as Change).position;
        if (position === 1n) return slow.then(() => void sent.push(position));
        sent.push(position);
      },
    };
    const changes = stream(feed, async () => [], { delivery });
    const pending = changes.next();
    await tick();
    feed.emit('x', change(1));
    feed.emit('x', change(2));
    feed.emit('x', change(3));
    await tick();
    expect(sent).toEqual([]);
    release();
    await tick();
    expect(sent).toEqual([1n, 2n, 3n]);
    feed.emit('x', change(4));
    expect(sent).toEqual([1n, 2n, 3n, 4n]);
    await changes.return!(undefined);
    await pending;
  });

  it('ends the stream with the error when a live delivery fails at once', async () => {
    const feed = new EventEmitter();
    const delivery: LiveDelivery = {
      send: () => {
        throw new Error('cannot serialise');
      },
    };
    const changes = stream(feed, async () => [], { delivery });
    const pending = changes.next();
    await tick();
    feed.emit('x', change(1));
    await expect(pending).rejects.toThrow('cannot serialise');
    expect(feed.listenerCount('x')).toBe(0);
  });

  it('ends with UNAUTHENTICATED when the token expires, even while the iterator waits for delivered changes', async () => {
    const feed = new EventEmitter();
    const auth: Authentication = { actor: { kind: 'user', sub: 'u', role: 'customer', expiresAt: Date.now() + 30 } };
    const changes = stream(feed, async () => [], { delivery: recordingDelivery(), auth });
    await expect(changes.next()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(feed.listenerCount('x')).toBe(0);
  });
});
