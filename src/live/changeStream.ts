import type { EventEmitter } from 'node:events';
import { Repeater } from 'graphql-yoga';
import type { Authentication } from '../auth/actor.js';
import { DomainError, UnauthenticatedError } from '../domain/errors.js';

/** A subscriber fell so far behind that its queue filled up. */
export class SubscriberTooSlowError extends DomainError {
  readonly code = 'SUBSCRIBER_TOO_SLOW';
  constructor(limit: number) {
    super(`more than ${limit} changes were waiting for this subscriber; resubscribe with \`after\` set to the last position received`);
  }
}

/** Per-subscription bound on changes waiting to be sent. */
export const MAX_PENDING_CHANGES = 1_000;

/**
 * The changes of `event` on `feed`, in position order: first what `initial` returns (the current
 * state, or a replay after a position), then live changes, with no gap and no duplicate. The
 * listener is attached when this is called, before `initial` runs and before the caller reads
 * anything else, so changes committed meanwhile wait in the queue; anything at or below the last
 * delivered position is dropped. A subscriber with more than MAX_PENDING_CHANGES waiting is ended
 * with SubscriberTooSlowError (it can resume with `after`); with `auth`, the stream ends with
 * UNAUTHENTICATED when the token expires. It is a Repeater rather than an async generator so that
 * a client leaving (`return()`) removes the listener at once, even while it waits for a change.
 */
export function changeStream<T extends { position: bigint }>(
  feed: EventEmitter,
  event: string,
  initial: () => Promise<T[]>,
  auth?: Authentication,
): Repeater<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const listener = (change: T) => {
    queue.push(change);
    if (queue.length > MAX_PENDING_CHANGES) fail?.(new SubscriberTooSlowError(MAX_PENDING_CHANGES));
    wake?.();
  };
  feed.on(event, listener);
  const expiresAt = auth?.actor.kind === 'user' ? auth.actor.expiresAt : undefined;

  return new Repeater<T>(async (push, stop) => {
    let stopped = false;
    fail = (error) => stop(error);
    void stop.then(() => {
      stopped = true;
      wake?.();
    });
    try {
      let last = -1n;
      const deliver = async (change: T) => {
        if (change.position <= last) return;
        last = change.position;
        await push(change);
      };
      for (const change of await initial()) await deliver(change);
      while (!stopped) {
        if (queue.length > MAX_PENDING_CHANGES) throw new SubscriberTooSlowError(MAX_PENDING_CHANGES);
        if (expiresAt !== undefined && Date.now() >= expiresAt) {
          throw new UnauthenticatedError('the token has expired; subscribe again with a fresh token (use `after` to resume)');
        }
        const change = queue.shift();
        if (change) {
          await deliver(change);
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (expiresAt !== undefined) timer = setTimeout(resolve, Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1));
        });
        clearTimeout(timer);
        wake = undefined;
      }
    } finally {
      feed.off(event, listener);
    }
  });
}

/**
 * Maps a change stream into another stream (a subscription's payloads), ending the source as soon
 * as the consumer leaves. `each` returns the payload for a change, or undefined to skip it.
 */
export function mapChanges<T, R>(source: Repeater<T>, start: (push: (value: R) => Promise<unknown>) => Promise<void>, each: (change: T) => Promise<R | undefined> | R | undefined): Repeater<R> {
  return new Repeater<R>(async (push, stop) => {
    void stop.then(() => source.return());
    await start(push);
    for await (const change of source) {
      const value = await each(change);
      if (value !== undefined) await push(value);
    }
    stop();
  });
}
