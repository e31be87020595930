import type pg from 'pg';
import { skipCheckpoint, skipCheckpoints, type SkipRequest } from './checkpoints.js';

interface PendingSkip extends SkipRequest {
  session: pg.ClientBase;
  resolve(moved: boolean): void;
  reject(error: unknown): void;
}

/**
 * Moves the checkpoints of this process's runners that have nothing to apply together. Every
 * runner wakes on every commit, and most commits concern only one or two projections: the others
 * each moved their checkpoint with a statement of their own, several statements (and their share
 * of the server's and PostgreSQL's CPU) per commit. The skips asked for in one turn of the event
 * loop (the runners woken by one notification ask within the same turn) go out as one statement,
 * on the session of the first runner that asked; its conditions are each checkpoint's own, so the
 * outcome per projection is the same as its single skip.
 */
export class CheckpointSkips {
  private pending: PendingSkip[] = [];
  /** Statements sent, batched or single (for tests). */
  statements = 0;

  /** Moves one checkpoint as skipCheckpoint does, together with the others asked for in this turn. */
  skip(session: pg.ClientBase, request: SkipRequest): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...request, session, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) return this.alone(batch[0]!);
    this.statements++;
    let moved: Set<string>;
    try {
      moved = await skipCheckpoints(batch[0]!.session, batch);
    } catch {
      // The session it ran on may have ended (its runner's lock with it): no reason to fail the
      // other runners' steps. Each tries alone on its own session, and its own error is its own.
      for (const request of batch) void this.alone(request);
      return;
    }
    for (const request of batch) request.resolve(moved.has(request.name));
  }

  private async alone(request: PendingSkip): Promise<void> {
    this.statements++;
    try {
      request.resolve(await skipCheckpoint(request.session, request.name, request.types, request.from, request.to));
    } catch (error) {
      request.reject(error);
    }
  }
}
