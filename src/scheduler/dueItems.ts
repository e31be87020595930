import pMap from 'p-map';
import type { Logger } from '../logger.js';
import type { DueWork } from './dueWorkLoop.js';
import { HoldBack, type HoldBackOptions } from './holdBack.js';

/** What running one due item ended with: done, refused (its state forbids it: no fault), failed (to be tried again soon). */
export type ItemOutcome = 'done' | 'refused' | 'failed';

/** The items of one kind of scheduled work: where they are read from and what running one does. */
export interface DueItemSource<T> {
  /** Up to `limit` items due now, earliest first, none whose key is in `skip`. */
  readDue(limit: number, skip: readonly string[]): Promise<T[]>;
  /** When the earliest item whose key is not in `skip` falls due, if any is pending. */
  nextDueAt(skip: readonly string[]): Promise<Date | undefined>;
  keyOf(item: T): string;
  run(item: T): Promise<ItemOutcome>;
  /** Told each page's outcomes (in the items' order), to report what it did. */
  afterPage?(items: readonly T[], outcomes: readonly ItemOutcome[]): void;
}

export interface DueItemsOptions extends HoldBackOptions {
  /** Items read per query. */
  batchSize: number;
  /** Items run at once (each may take a pool connection that also serves requests). */
  concurrency: number;
  /** After a round in which an item failed (a lost database, say), the next waits at least this long. */
  retryAfterFailureMs: number;
}

/**
 * Runs the items of `source` that are due, a page at a time and a few at once, and leaves each one
 * run or refused out of the next reads for a while (see `HoldBack`). Several processes must not run
 * it on one table at once: it claims nothing itself (see `ExclusiveScheduler`).
 */
export class DueItems<T> implements DueWork {
  /** Rounds run (each a look at the table for due items). */
  rounds = 0;
  private next?: Date;
  private failed = false;
  private readonly heldBack: HoldBack;

  constructor(
    private readonly name: string,
    private readonly source: DueItemSource<T>,
    private readonly options: DueItemsOptions,
    private readonly logger: Logger,
  ) {
    this.heldBack = new HoldBack(options);
  }

  /** True when the last round found an item pending (new items only come later, or not at all). */
  get hasPending(): boolean {
    return this.next !== undefined;
  }

  async runDue(): Promise<void> {
    this.rounds++;
    this.failed = false;
    const { batchSize, concurrency } = this.options;
    for (;;) {
      const due = await this.source.readDue(batchSize, this.heldBack.keys());
      if (due.length === 0) break;
      const outcomes = await pMap(due, (item) => this.runOne(item), { concurrency });
      this.source.afterPage?.(due, outcomes);
      // Leave what failed for the retry after a pause rather than reading it again at once.
      this.failed = outcomes.includes('failed');
      if (this.failed || due.length < batchSize) break;
    }
  }

  async nextDueAt(): Promise<Date | undefined> {
    this.next = await this.source.nextDueAt(this.heldBack.keys());
    if (!this.failed || !this.next) return this.next;
    return new Date(Math.max(this.next.getTime(), Date.now() + this.options.retryAfterFailureMs));
  }

  /** Forgets what was held back (another process may have run the work meanwhile). */
  forget(): void {
    this.heldBack.clear();
    this.next = undefined;
  }

  private async runOne(item: T): Promise<ItemOutcome> {
    const outcome = await this.source.run(item);
    if (outcome === 'failed') return outcome;
    const refusals = this.heldBack.remember(this.source.keyOf(item), outcome === 'refused');
    if (refusals === 2) {
      this.logger.warn(
        { scheduler: this.name, item: this.source.keyOf(item) },
        'a due item keeps being refused; trying it less and less often',
      );
    }
    return outcome;
  }
}
