import type pg from 'pg';
import { AdvisoryLockSession } from '../db/advisoryLockSession.js';
import type { Logger } from '../logger.js';
import { DueItems, type DueItemSource, type DueItemsOptions } from './dueItems.js';
import { DueWorkLoop, type DueWork } from './dueWorkLoop.js';

/** Lock space of the schedulers (the projection runners use 20260); the scheduler's name is the second key. */
const LOCK_CLASS = 20261;

export interface ExclusiveSchedulerOptions<T> extends DueItemsOptions {
  /** Names the lock too: processes of every version that share a name share the work. */
  name: string;
  connectionString: string;
  source: DueItemSource<T>;
  logger: Logger;
  /** A standby tries for the lock this often, so it takes over within this long of the holder's death. */
  lockRetryMs: number;
  /** The longest it sleeps without looking at the table (it wakes at the earliest due time). */
  pollMs: number;
  /** Called when this process takes the work over. */
  onAcquired?: () => void;
}

/**
 * Scheduled work that one process at a time runs: the holder of a session-level advisory lock,
 * which reads and runs the due items of its source (on the lock's own session: `session()`); a
 * standby tries for the lock every `lockRetryMs` and takes over when the holder's session ends.
 * After an error the lock is let go, so a process that lost its database does not keep it.
 */
export class ExclusiveScheduler<T> implements DueWork {
  private readonly lock: AdvisoryLockSession;
  private readonly items: DueItems<T>;
  private readonly loop: DueWorkLoop;

  constructor(private readonly options: ExclusiveSchedulerOptions<T>) {
    this.lock = new AdvisoryLockSession(options.connectionString, { namespace: LOCK_CLASS, name: options.name });
    this.items = new DueItems(options.name, options.source, options, options.logger);
    this.loop = new DueWorkLoop(options.name, this, options.logger, { pollMs: options.pollMs });
  }

  /** True while this process holds the lock and runs the work. */
  get isActive(): boolean {
    return this.lock.isHeld;
  }

  /** Rounds this process ran while it held the lock. */
  get rounds(): number {
    return this.items.rounds;
  }

  /** True while this process holds the lock and knows of an item pending. */
  get hasPending(): boolean {
    return this.lock.isHeld && this.items.hasPending;
  }

  /** The lock-holding session, for the source's reads. */
  session(): pg.Client {
    return this.lock.session();
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.lock.release();
  }

  /** See `DueWorkLoop.wakeUpWithin`. */
  wakeUpWithin(ms: number): void {
    this.loop.wakeUpWithin(ms);
  }

  async runDue(): Promise<void> {
    await this.whileHeld(async () => {
      if (!this.lock.isHeld) {
        if (!(await this.lock.tryAcquire())) return;
        this.items.forget();
        this.options.onAcquired?.();
      }
      await this.items.runDue();
    });
  }

  nextDueAt(): Promise<Date | undefined> {
    if (!this.lock.isHeld) return Promise.resolve(new Date(Date.now() + this.options.lockRetryMs));
    return this.whileHeld(() => this.items.nextDueAt());
  }

  private async whileHeld<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      await this.lock.release();
      throw error;
    }
  }
}
