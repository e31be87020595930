import type { EventEmitter } from 'node:events';
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
 * delivered position is dropped. A subscriber whose queue passes MAX_PENDING_CHANGES is ended with
 * SubscriberTooSlowError (it can resume with `after`). With `auth`, the stream ends with
 * UNAUTHENTICATED when the subscriber's token expires. The caller must iterate it (or `return()`
 * it) so the listener is removed.
 */
export function changeStream<T extends { position: bigint }>(
  feed: EventEmitter,
  event: string,
  initial: () => Promise<T[]>,
  auth?: Authentication,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const listener = (change: T) => {
    queue.push(change);
    wake?.();
  };
  feed.on(event, listener);
  const expiresAt = auth?.actor.kind === 'user' ? auth.actor.expiresAt : undefined;
  return drain(feed, event, listener, queue, initial, (resolve) => (wake = resolve), expiresAt);
}

async function* drain<T extends { position: bigint }>(
  feed: EventEmitter,
  event: string,
  listener: (change: T) => void,
  queue: T[],
  initial: () => Promise<T[]>,
  onWait: (resolve: () => void) => void,
  expiresAt: number | undefined,
): AsyncGenerator<T> {
  const checkToken = () => {
    if (expiresAt !== undefined && Date.now() >= expiresAt) {
      throw new UnauthenticatedError('the token has expired; subscribe again with a fresh token (use `after` to resume)');
    }
  };
  try {
    let last = -1n;
    for (const change of await initial()) {
      if (change.position <= last) continue;
      last = change.position;
      yield change;
    }
    for (;;) {
      if (queue.length > MAX_PENDING_CHANGES) throw new SubscriberTooSlowError(MAX_PENDING_CHANGES);
      const change = queue.shift();
      checkToken();
      if (!change) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          onWait(resolve);
          if (expiresAt !== undefined) timer = setTimeout(resolve, Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1));
        });
        clearTimeout(timer);
        continue;
      }
      if (change.position <= last) continue;
      last = change.position;
      yield change;
    }
  } finally {
    feed.off(event, listener);
  }
}
