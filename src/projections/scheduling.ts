import { setTimeout as delay } from 'node:timers/promises';
import type { CommitNotifier } from '../eventStore/notifications.js';

const IDLE_POLL_MS = 1_000;
/**
 * Runners whose quiet polls fall due within this long of each other share one head query: every
 * runner of a process is woken by the same commits, so their polls come due together.
 */
const POLL_COALESCE_MS = 100;
/** How long commits that keep coming may gather before the next batch. */
const GATHER_MS = 10;

/** What a runner's step found: nothing to do, the head reached, or more known to be waiting. */
export type StepOutcome = 'idle' | 'caughtUp' | 'more';

/**
 * When a projection runner takes its next step, and how far the log reaches. It learns the head
 * from the commit notifications, so a step after every commit costs no head query; it says when
 * the head must be read from the log instead (at first, after the listener reconnected, after a
 * quiet poll), and sleeps between steps until a commit, a poke or a stop wakes it.
 */
export class RunnerSchedule {
  /** The newest committed position heard of (commit notifications, or a head query). */
  private head = 0n;
  /** A commit was announced since the current step began. */
  private heardCommit = false;
  /** Whether `head` can be trusted; when not, the next step reads it from the log. */
  private headKnown = false;
  private wake?: () => void;
  /** The current sleep ends on a commit (not while standing by for the lock: see standBy). */
  private commitsWake = false;
  /** A head read must have begun at or after this moment (performance.now()) to be trusted. */
  private staleBefore = performance.now();
  private heads = new SharedHeadReads();

  /** Follows the commit notifications until the returned function is called. */
  follow(notifier: CommitNotifier): () => void {
    this.heads = sharedHeadReads(notifier);
    const unsubscribe = notifier.onCommit((position) => {
      if (position > this.head) this.head = position;
      this.heardCommit = true;
      if (this.commitsWake) this.wake?.();
    });
    // Commits announced while the listener was down were missed: read the head from the log.
    const unsubscribeReconnect = notifier.onReconnect(() => this.forgetHead());
    return () => {
      unsubscribe();
      unsubscribeReconnect();
    };
  }

  /** The head as the step about to run should see it (read through `readHead` when in doubt). */
  async headForStep(readHead: () => Promise<bigint>): Promise<bigint> {
    this.heardCommit = false;
    if (!this.headKnown) {
      this.headKnown = true;
      const stored = await this.heads.read(readHead, this.staleBefore);
      if (stored > this.head) this.head = stored;
    }
    return this.head;
  }

  /** The head is in doubt (a takeover, a reconnect): the next step reads it from the log. */
  forgetHead(): void {
    this.headKnown = false;
    this.staleBefore = performance.now();
    this.wake?.();
  }

  /** Waits as long as the step's outcome calls for before the next one. */
  async pause(outcome: StepOutcome): Promise<void> {
    if (outcome === 'more') return;
    // Commits arrived while that batch was applied: under load, let a few more gather into the
    // next batch (one transaction, one live-feed read) instead of one small batch per commit. A
    // lone commit is still applied at once.
    if (outcome === 'caughtUp' && this.heardCommit) await delay(GATHER_MS);
    // Caught up with every commit heard of: wait for the next one. The poll, when nothing came,
    // re-reads the head from the log in case a notification was lost.
    // The process's other runners poll at the same moment: one query answers them all.
    // Polls fall on whole intervals of the process's clock, so runners that went quiet at different
    // moments (a slow step, a rebuild) still poll together.
    else if (!this.heardCommit && !(await this.sleep(IDLE_POLL_MS - (performance.now() % IDLE_POLL_MS)))) {
      this.headKnown = false;
      this.staleBefore = performance.now() - POLL_COALESCE_MS;
    }
  }

  /** Resolves true when woken (a commit, a poke, a stop), false when the time ran out. */
  sleep(ms: number): Promise<boolean> {
    return this.sleepUntil(ms, true);
  }

  /**
   * Waits `ms` before the next try for a lock another process holds: only a poke, a stop or a
   * reconnect ends it early. Commits do not: the holder applies them, and a standby woken by each
   * one would send every projection's lock attempt on every commit (in a process that serves
   * commands too, that was more statements than the commands' own).
   */
  standBy(ms: number): Promise<boolean> {
    return this.sleepUntil(ms, false);
  }

  private sleepUntil(ms: number, commitsWake: boolean): Promise<boolean> {
    this.commitsWake = commitsWake;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Ends the current sleep now. */
  wakeUp(): void {
    this.wake?.();
  }
}

/**
 * The head reads of one process's runners. A runner in doubt about the head needs a read that began
 * after its doubt did; one that is in flight or just answered serves every runner in doubt since
 * before it began, so an idle process polls the log once per interval, not once per projection.
 */
class SharedHeadReads {
  private last?: { startedAt: number; head: Promise<bigint> };

  read(readHead: () => Promise<bigint>, notBefore: number): Promise<bigint> {
    if (this.last && this.last.startedAt >= notBefore) return this.last.head;
    const read = { startedAt: performance.now(), head: readHead() };
    this.last = read;
    // A failed read is not shared with later callers: each retries with a read of its own.
    read.head.catch(() => {
      if (this.last === read) this.last = undefined;
    });
    return read.head;
  }
}

const headReadsByNotifier = new WeakMap<CommitNotifier, SharedHeadReads>();

function sharedHeadReads(notifier: CommitNotifier): SharedHeadReads {
  let reads = headReadsByNotifier.get(notifier);
  if (!reads) headReadsByNotifier.set(notifier, (reads = new SharedHeadReads()));
  return reads;
}
