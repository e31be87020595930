import type { Database } from './database.js';
import { lsn } from './readReplica.js';
import { withTimeout } from './timeout.js';

/**
 * Recent readings of how far the primary has flushed its WAL, oldest first: a replica's lag is the
 * age of the oldest reading it has not replayed yet. It grows when the replica stops receiving (a
 * stopped walreceiver cannot tell it is behind, the primary can) as well as when it stops applying.
 */
export class PrimaryWalHistory {
  private samples: { at: number; lsn: bigint }[] = [];

  constructor(
    private readonly primary: Database,
    private readonly options: { maxLagMs: number; pollIntervalMs: number; timeoutMs: number },
  ) {}

  /** Whether the newest reading is older than `ms` (or there is none). */
  readingOlderThan(ms: number): boolean {
    const last = this.samples.at(-1);
    return !last || Date.now() - last.at >= ms;
  }

  /** Takes a reading; when the primary does not answer, lags are judged on the readings there are. */
  async sample(): Promise<void> {
    try {
      const { rows } = await withTimeout(
        this.primary.pool.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn'),
        this.options.timeoutMs,
      );
      const now = Date.now();
      this.samples.push({ at: now, lsn: lsn(rows[0]!.lsn) });
      // Older readings only ever tell that a replica is more than the maximum lag behind.
      const keepFrom = now - this.options.maxLagMs - 2 * this.options.pollIntervalMs;
      while (this.samples.length > 1 && this.samples[1]!.at < keepFrom) this.samples.shift();
    } catch {
      // The primary is away: lags are judged on the readings there are.
    }
  }

  /** The age of the oldest reading a replica that replayed up to `replayed` lacks (0 when it has them all). */
  lagOf(replayed: bigint | undefined): number {
    // Not in recovery (a primary named as a replica): it is as current as anything.
    if (replayed === undefined) return 0;
    const behind = this.samples.find((s) => s.lsn > replayed);
    return behind ? Date.now() - behind.at : 0;
  }
}
