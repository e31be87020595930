import type { Database } from '../db/database.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { Logger } from '../logger.js';
import { ReadModelConsistency } from './consistency.js';
import { ProjectionNotifications } from './projectionNotifications.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './runner.js';
import { CheckpointSkips } from './skipBatch.js';

export type ProjectionDeps = {
  db: Database;
  eventStore: EventStore;
  logger: Logger;
  consistencyTimeoutMs?: number;
  /** The connections the runners read on, out of the requests' reach (see openBackgroundLane); default `db`. */
  lane?: Database;
};

/**
 * The read side of one process: a runner per projection (each active in one process at a time)
 * and read-your-writes waiting.
 */
export class ReadSide {
  readonly runners: ProjectionRunner[];
  readonly consistency: ReadModelConsistency;
  /** Every process's committed batches, as PostgreSQL announces them. */
  readonly notifications: ProjectionNotifications;
  /** The runners' checkpoint moves over commits that are not their business, gathered per turn. */
  readonly skips = new CheckpointSkips();
  private readonly timeoutMs: number;

  constructor(
    deps: ProjectionDeps,
    readonly projections: readonly Projection[],
  ) {
    this.timeoutMs = deps.consistencyTimeoutMs ?? 5_000;
    this.runners = projections.map((p) => new ProjectionRunner(p, { ...deps, skips: this.skips }));
    this.notifications = new ProjectionNotifications(deps.eventStore.notifier);
    this.consistency = new ReadModelConsistency(deps.db.prisma, deps.eventStore.notifier, this.notifications);
    // A batch committed here is known at once, before its NOTIFY makes the round trip.
    this.consistency.follow({ onProjectionProgress: (listener) => this.onProjectionProgress(listener) });
  }

  /** Calls `listener` each time a runner of this process commits a batch or moves its checkpoint. */
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void {
    const detach = this.runners.map((runner) => {
      const onProgress = (position: bigint) => listener(runner.projection.name, position);
      runner.on('progress', onProgress);
      return () => runner.off('progress', onProgress);
    });
    return () => detach.forEach((off) => off());
  }

  /** Starts the runners of every projection, or of those named in `only`. */
  start(only?: readonly string[]): void {
    for (const runner of this.runners) if (!only || only.includes(runner.projection.name)) runner.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  /** The projection called `name`, if the service has one. */
  projection(name: string): Projection | undefined {
    return this.projections.find((p) => p.name === name);
  }

  /** Wakes the runner of `name` (after an admin retry or skip). */
  poke(name: string): void {
    this.runners.find((r) => r.projection.name === name)?.poke();
  }

  /** Waits until the named projections reach `position` (bounded; then CONSISTENCY_TIMEOUT). */
  waitFor(names: readonly string[], position: bigint, timeoutMs = this.timeoutMs): Promise<void> {
    return this.consistency.waitFor(names, position, timeoutMs);
  }
}
