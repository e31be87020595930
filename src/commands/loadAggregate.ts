import type { Aggregate } from '../domain/aggregate.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { NewEvent } from '../eventStore/types.js';

/** An aggregate as loaded for a command: its state, its version and where its snapshot stood. */
export interface Loaded<S, E extends { type: string; data: object }> {
  streamId: string;
  state: S;
  /** The stream's version (0 when it does not exist yet). */
  version: number;
  /** The version of the snapshot it was loaded from (0 for none). */
  snapshotVersion: number;
  /** The stored snapshot holds an older state shape: it was ignored, and the next append replaces it. */
  staleSnapshot: boolean;
  aggregate: Aggregate<S, E>;
}

/** What a command appends to one stream, with the state those events lead to. */
export interface PlannedAppend {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  events: NewEvent[];
  /** The state after the events, for snapshots and the command's result. */
  stateAfter: unknown;
  snapshotVersion: number;
  snapshotSchemaVersion: number;
  /** The stored snapshot is of an older state shape: store the state after these events in its place. */
  replaceSnapshot: boolean;
}

/**
 * Loads an aggregate: its state as this process last saw it (the store's state cache) or else the
 * latest stored snapshot (if its schema version is current), plus the events after it, folded with
 * `evolve`. With `upToVersion`, folds only that far (to answer a repeated command with the state it
 * produced the first time) and leaves the cache alone.
 */
export async function loadAggregate<S, E extends { type: string; data: object }>(
  store: EventStore,
  streamId: string,
  aggregate: Aggregate<S, E>,
  upToVersion?: number,
): Promise<Loaded<S, E>> {
  const cached = upToVersion === undefined ? store.states.get(streamId, aggregate.snapshotSchemaVersion) : undefined;
  // Nobody else has written since this state was kept: it is current, and there is nothing to read.
  if (cached && store.trusts(cached.trust)) {
    return {
      streamId,
      state: cached.state as S,
      version: cached.version,
      snapshotVersion: cached.snapshotVersion,
      staleSnapshot: false,
      aggregate,
    };
  }
  const trust = store.trustMark();
  const loaded = await store.loadStream<S>(streamId, cached?.version);
  const stored =
    loaded.snapshot &&
    loaded.snapshot.schemaVersion === aggregate.snapshotSchemaVersion &&
    (upToVersion === undefined || loaded.snapshot.version <= upToVersion)
      ? loaded.snapshot
      : undefined;
  const from = cached ? { version: cached.version, state: cached.state as S } : stored;
  // Below the snapshot (time travel), fold from the start, but read no further than asked.
  const events = cached || stored === loaded.snapshot ? loaded.events : await store.readStream(streamId, 0, upToVersion);
  let state = from ? from.state : aggregate.initialState();
  let version = from?.version ?? 0;
  for (const event of events) {
    if (upToVersion !== undefined && event.version > upToVersion) break;
    state = aggregate.evolve(state, { type: event.type, data: event.data } as E, { occurredAt: occurredAtOf(event) });
    version = event.version;
  }
  const snapshotVersion = cached ? cached.snapshotVersion : (stored?.version ?? 0);
  if (upToVersion === undefined && version > 0)
    store.states.put(streamId, { version, schemaVersion: aggregate.snapshotSchemaVersion, state, snapshotVersion, trust });
  const staleSnapshot = loaded.snapshot !== undefined && loaded.snapshot.schemaVersion !== aggregate.snapshotSchemaVersion;
  return { streamId, state, version, snapshotVersion, staleSnapshot, aggregate };
}

/** The time a stored event happened: the command's clock from its metadata, else when it was recorded. */
export function occurredAtOf(event: { metadata: { occurredAt?: string }; recordedAt: Date }): string {
  return event.metadata.occurredAt ?? event.recordedAt.toISOString();
}

/** Plans appending `events` to a loaded aggregate, folding them to know the state they lead to. */
export function planAppend<S, E extends { type: string; data: object }>(
  loaded: Loaded<S, E>,
  events: E[],
  occurredAt: string,
): PlannedAppend {
  const stateAfter = events.reduce((state, event) => loaded.aggregate.evolve(state, event, { occurredAt }), loaded.state);
  return {
    streamId: loaded.streamId,
    streamType: loaded.aggregate.streamType,
    expectedVersion: loaded.version,
    events: events.map((e) => ({ type: e.type, data: e.data as Record<string, unknown> })),
    stateAfter,
    snapshotVersion: loaded.snapshotVersion,
    snapshotSchemaVersion: loaded.aggregate.snapshotSchemaVersion,
    replaceSnapshot: loaded.staleSnapshot,
  };
}
