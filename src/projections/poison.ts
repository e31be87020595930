import { isDatabaseUnavailable, isStorageFull } from '../db/database.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Logger } from '../logger.js';
import { CheckpointMovedError } from './checkpoints.js';
import { SessionLostError } from '../db/advisoryLockSession.js';

/** What isolating a failed batch needs from its runner. */
export interface PoisonHandling {
  projection: string;
  logger: Logger;
  /** Applies one event alone, moving the checkpoint from `from` to the event. */
  applyOne(from: bigint, event: RecordedEvent): Promise<void>;
  /** Records that the projection stopped on the event at `position`. */
  markFailed(position: bigint, error: unknown): Promise<void>;
}

/** Errors that are no fault of the events: the batch is retried as it is once they pass. */
export function isTransient(error: unknown): boolean {
  return isDatabaseUnavailable(error) || isStorageFull(error) || error instanceof SessionLostError;
}

/**
 * A batch failed: applies its events one by one to commit everything before the poison event, then
 * records the failure on that event, which stops this projection (the others keep running). When
 * every event applies alone the failure was transient, and the batch's error is thrown again.
 */
export async function isolatePoisonEvent(
  from: bigint,
  events: RecordedEvent[],
  batchError: unknown,
  handling: PoisonHandling,
): Promise<void> {
  let position = from;
  for (const event of events) {
    try {
      await handling.applyOne(position, event);
      position = event.position;
    } catch (error) {
      // Another process took the projection over meanwhile: not ours to mark.
      if (error instanceof CheckpointMovedError) return;
      if (isTransient(error)) throw error;
      await handling.markFailed(event.position, error);
      handling.logger.error(
        { err: error, projection: handling.projection, position: event.position.toString() },
        'projection stopped on an event it cannot apply',
      );
      return;
    }
  }
  throw batchError;
}
