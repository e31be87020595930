import { LRUCache } from 'lru-cache';

/** A stream's folded state at a version: a snapshot kept in memory. */
export interface CachedState {
  version: number;
  /** The folding code's snapshot schema version: a state folded by other code is not reused. */
  schemaVersion: number;
  state: unknown;
  /** The version of the stored snapshot as last known (when the next one is due). */
  snapshotVersion: number;
  /**
   * The event store's trust mark taken before this state was read or appended: while the store
   * still trusts it, no other writer has committed since and the state is the stream's current one.
   */
  trust?: number;
}

/**
 * Folded states of recently used streams, so that a command on a hot stream reads only the events
 * appended since this process last saw it (usually none) instead of the stored snapshot and its
 * whole tail (loading was most of the database's work per command). Events never change,
 * so a state folded at version v stays right for version v; the events after it always come from
 * the log, which covers appends by other processes. States must not be mutated (evolve is pure).
 * Bounded (least recently used streams go first); each process has its own.
 */
export class StateCache {
  /** Undefined when the cache is off (0 streams): every load then reads snapshot and tail. */
  private readonly entries?: LRUCache<string, CachedState>;

  constructor(maxStreams = 10_000) {
    if (maxStreams > 0) this.entries = new LRUCache({ max: maxStreams });
  }

  get(streamId: string, schemaVersion: number): CachedState | undefined {
    const entry = this.entries?.get(streamId);
    return entry?.schemaVersion === schemaVersion ? entry : undefined;
  }

  /** Forgets a stream's state (a conflict showed it is not the current one). */
  delete(streamId: string): void {
    this.entries?.delete(streamId);
  }

  /** Keeps `entry` unless a newer version of the stream is already kept. */
  put(streamId: string, entry: CachedState): void {
    if (!this.entries) return;
    const current = this.entries.peek(streamId);
    if (current && current.schemaVersion === entry.schemaVersion && current.version > entry.version) return;
    this.entries.set(streamId, entry);
  }
}
