import type { Logger } from '../logger.js';

/** The longest a loop sleeps without looking at the database (a wake-up from another process may be lost). */
const POLL_MS = 1_000;
/** After a failed round (the database away, say), the next try waits this long. */
const ERROR_BACKOFF_MS = 1_000;

/**
 * Work whose due times live in PostgreSQL. `runDue` claims what is due now (with
 * `FOR UPDATE SKIP LOCKED` and a lease, so that several processes never take the same item, and
 * an item a dead process held is taken again once its lease ends) and starts it; `nextDueAt` says
 * when the earliest item not yet due will be.
 */
export interface DueWork {
  runDue(): Promise<void>;
  nextDueAt(): Promise<Date | undefined>;
}

/**
 * The durable scheduler: runs `work` whenever something falls due, when woken (new work, a
 * finished item, an admin's redelivery) or at least every second. Everything it knows is in the
 * database, so a restart or a `kill -9` loses nothing: the next process picks the due times up.
 *
 * Written here rather than taken from pg-boss or graphile-worker: both keep their jobs in a schema
 * they create and migrate themselves, outside our Prisma migrations, and neither has a notion of a
 * job that must wait for the one before it in the same stream, which is what ordered delivery needs.
 * What is generic (sleeping until the next due time, coalescing wake-ups, surviving errors) is here;
 * the claim itself is the work's own query.
 */
export class DueWorkLoop {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** Woken while a round ran: run another at once rather than sleep. */
  private wokenDuringRound = false;

  constructor(
    private readonly name: string,
    private readonly work: DueWork,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
  }

  /** Runs a round now (or right after the current one). */
  wakeUp(): void {
    this.wokenDuringRound = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wokenDuringRound = false;
      let sleepMs: number;
      try {
        await this.work.runDue();
        const next = await this.work.nextDueAt();
        sleepMs = next ? Math.min(POLL_MS, Math.max(0, next.getTime() - Date.now())) : POLL_MS;
      } catch (err) {
        this.logger.warn({ err, scheduler: this.name }, 'scheduled work failed; trying again');
        sleepMs = ERROR_BACKOFF_MS;
      }
      if (this.running && !this.wokenDuringRound) await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
    });
  }
}
