import type { Logger } from '../logger.js';

/** After a failed round (the database away, say), the next try waits this long. */
const ERROR_BACKOFF_MS = 1_000;

/**
 * Work whose due times live in PostgreSQL. `runDue` claims what is due now (with
 * `FOR UPDATE SKIP LOCKED` and a lease, or under a lock only one process holds, so that several
 * processes never take the same item) and starts it; `nextDueAt` says when the earliest item not
 * yet due will be.
 */
export interface DueWork {
  /**
   * False when something was due but none of it could be started here (another process holds it,
   * say): the loop then waits for a wake-up or its next poll rather than asking again at once.
   */
  runDue(): Promise<boolean | void>;
  nextDueAt(): Promise<Date | undefined>;
}

export interface DueWorkLoopOptions {
  /** The longest the loop sleeps without looking at the database (a wake-up from another process may be lost); default 1 s. */
  pollMs?: number;
}

/**
 * The durable scheduler: runs `work` whenever something falls due, when woken (new work, a
 * finished item, an admin's redelivery) or at least every `pollMs`. Everything it knows is in the
 * database, so a restart or a `kill -9` loses nothing: the next process picks the due times up.
 *
 * Written here rather than taken from pg-boss or graphile-worker: both keep their jobs in a schema
 * they create and migrate themselves, outside our Prisma migrations, and a job there is a row of
 * theirs; our due times are read models derived from the event log (rebuilt with it, claimed in our
 * own transactions and advisory locks), and ordered delivery needs a job that waits for the one
 * before it in the same stream, which neither has. What is generic (sleeping until the next due
 * time, coalescing wake-ups, surviving errors) is here; the claim itself is the work's own query.
 */
export class DueWorkLoop {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** Woken while a round ran: run another at once rather than sleep. */
  private wokenDuringRound = false;
  private wakeTimer?: NodeJS.Timeout;
  private readonly pollMs: number;

  constructor(
    private readonly name: string,
    private readonly work: DueWork,
    private readonly logger: Logger,
    options: DueWorkLoopOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeUp();
    await this.loop;
  }

  /** Runs a round now (or right after the current one). */
  wakeUp(): void {
    this.wokenDuringRound = true;
    this.wake?.();
  }

  /**
   * Runs a round `ms` from now, once however many ask meanwhile: for a source of wake-ups that
   * comes in bursts (every commit, say), one round per burst rather than one per wake-up.
   */
  wakeUpWithin(ms: number): void {
    if (this.wakeTimer || !this.running) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeUp();
    }, ms);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wokenDuringRound = false;
      let sleepMs: number;
      try {
        const started = await this.work.runDue();
        const next = await this.work.nextDueAt();
        sleepMs = next ? Math.min(this.pollMs, Math.max(0, next.getTime() - Date.now())) : this.pollMs;
        // Due, yet nothing could start: asking again at once would only spin until the holder is done.
        if (started === false && sleepMs === 0) sleepMs = this.pollMs;
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
