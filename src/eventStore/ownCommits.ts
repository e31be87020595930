import type { CommitNotifier } from './notifications.js';

/** Own commit positions remembered while their notifications are on the way; beyond this, trust is reset. */
const MAX_PENDING_CLAIMS = 10_000;
/** How long after another writer was last heard of a not yet claimed notification withdraws trust at once. */
const ALONE_AFTER_MS = 5_000;

/**
 * Tells whether every commit to the log since a moment was made by this process, so that a
 * folded state this process keeps is still the stream's current state and its load can be
 * skipped. Every append notifies its batch's last position; this process claims the positions
 * of its own commits as their answers arrive, and any other notification (another process, a
 * script) moves the epoch on, which withdraws trust from every state recorded before it. While
 * the commit listener is not listening (not started, or reconnecting) nothing is trusted, and a
 * reconnection (notifications may have been missed) moves the epoch on too.
 *
 * What trust is for: a command's target stream is protected by its expected version either way
 * (a stale state only costs a conflict and a retry that loads), but a stream a command only reads
 * (the product an order line prices) is not, so trust must be withdrawn as soon as another
 * writer is heard of. The window that leaves (a notification's delivery time, plus, for a
 * process that has long been the only writer, until its batches in flight answer: a few
 * milliseconds) is of the size of the one a command already has between its load and its append.
 */
export class OwnCommits {
  private epoch = 0;
  private readonly claimed = new Set<bigint>();
  /** Notifications not yet claimed while this process still had batches in flight. */
  private undecided = 0;
  private lastWithdrawnAt = -Infinity;

  constructor(
    private readonly notifier: CommitNotifier,
    private readonly settledBatches: () => Promise<void> | undefined,
  ) {
    notifier.onCommit((position) => this.heard(position));
    notifier.onReconnect(() => this.withdraw());
  }

  /** A mark of this moment, or undefined when nothing can be trusted now. */
  mark(): number | undefined {
    return this.notifier.listening && this.decided() ? this.epoch : undefined;
  }

  /** Whether no other writer has been heard of since `mark` was taken. */
  trusts(mark: number | undefined): boolean {
    return mark !== undefined && mark === this.epoch && this.decided() && this.notifier.listening;
  }

  /**
   * A notification often overtakes the answer of the process's own batch. Once the process has
   * been the only writer for a while, such a notification is taken to be its own until the batches
   * in flight answer (then trust is withdrawn if none claimed it); a process that has heard of
   * another writer recently trusts nothing until every notification is claimed.
   */
  private decided(): boolean {
    return this.undecided === 0 || performance.now() - this.lastWithdrawnAt > ALONE_AFTER_MS;
  }

  /** This process committed a batch whose last event is at `position` (called before its callers hear of it). */
  claim(position: bigint): void {
    if (!this.notifier.listening) return;
    if (this.claimed.size >= MAX_PENDING_CLAIMS) {
      this.claimed.clear();
      this.withdraw();
    }
    this.claimed.add(position);
  }

  private heard(position: bigint): void {
    if (this.claimed.delete(position)) return;
    // The notification can overtake the answer of one of this process's own batches: decide
    // once the batches in flight now have answered (and claimed their positions).
    const inFlight = this.settledBatches();
    if (!inFlight) return this.withdraw();
    this.undecided++;
    void inFlight.then(() => {
      this.undecided--;
      if (!this.claimed.delete(position)) this.withdraw();
    });
  }

  private withdraw(): void {
    this.lastWithdrawnAt = performance.now();
    this.epoch++;
  }
}
