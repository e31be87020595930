import type { EventStore } from '../eventStore/eventStore.js';
import type { AppendOutcome } from '../eventStore/types.js';
import type { Logger } from '../logger.js';
import type { PlannedAppend } from './loadAggregate.js';

/** A stream's snapshot is stored again once this many events have been appended since the last. */
const SNAPSHOT_EVERY = 100;

/**
 * Keeps loading cheap: each appended stream's new state goes to the state cache, so the next
 * command on it in this process reads no events at all; and once the tail since the last stored
 * snapshot is 100 events, a snapshot is stored too (for other processes and after a restart), as
 * it is at once when the stored one holds an older state shape (loads ignore it).
 * Written before answering (one write per 100 commands), so the next command already loads from
 * it; a failure only costs a longer load and is logged, never failing the committed command.
 */
export async function rememberStates(
  appends: PlannedAppend[],
  outcome: AppendOutcome,
  services: { eventStore: EventStore; logger: Logger },
  trust: number | undefined,
): Promise<void> {
  for (const append of appends) {
    const version = outcome.streams.find((s) => s.streamId === append.streamId)?.version ?? 0;
    // stateAfter is the state at expectedVersion + its events; anything else is not that state.
    if (version !== append.expectedVersion + append.events.length) continue;
    let snapshotVersion = append.snapshotVersion;
    if (append.replaceSnapshot || version - append.snapshotVersion >= SNAPSHOT_EVERY) {
      const saved = await services.eventStore
        .saveSnapshot({
          streamId: append.streamId,
          streamType: append.streamType,
          version,
          state: append.stateAfter,
          schemaVersion: append.snapshotSchemaVersion,
        })
        .then(() => true)
        .catch((err: unknown) => {
          services.logger.warn({ err, streamId: append.streamId }, 'could not save a snapshot');
          return false;
        });
      if (saved) snapshotVersion = version;
    }
    services.eventStore.states.put(append.streamId, {
      version,
      schemaVersion: append.snapshotSchemaVersion,
      state: append.stateAfter,
      snapshotVersion,
      trust,
    });
  }
}
