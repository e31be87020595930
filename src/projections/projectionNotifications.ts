import { EventEmitter } from 'node:events';
import type { CommitNotifier } from '../eventStore/notifications.js';
import type { ProgressSignal } from './consistency.js';

/** Projectors announce `name:position` here after each batch commits (checkpoints.ts, rebuild.ts). */
export const PROJECTIONS_CHANNEL = 'ordersource_projections';

/**
 * The projections' progress as PostgreSQL announces it: every batch a runner commits, in any
 * process. Heard on the event store's listening connection, so that a process holds one.
 */
export class ProjectionNotifications implements ProgressSignal {
  private readonly emitter = new EventEmitter();

  constructor(private readonly notifier: CommitNotifier) {
    this.emitter.setMaxListeners(0);
    notifier.listen(PROJECTIONS_CHANNEL, (payload) => {
      const at = payload.lastIndexOf(':');
      if (at > 0) this.emitter.emit('projection', payload.slice(0, at), BigInt(payload.slice(at + 1) || '0'));
    });
  }

  /** Calls `listener` when a projection commits a batch (in any process); returns the unsubscribe. */
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void {
    this.emitter.on('projection', listener);
    return () => this.emitter.off('projection', listener);
  }

  /** Announcements sent while the connection was lost were missed: re-read where things stand. */
  onReconnect(listener: () => void): () => void {
    return this.notifier.onReconnect(listener);
  }
}
