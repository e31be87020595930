import type { Database } from './database.js';

/** How a replica stands: `up` serves reads; `lagging` and `down` are skipped until they recover. */
export type ReplicaState = 'up' | 'lagging' | 'down';

/** One replica as `/ready` and `/metrics` report it. */
export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  /** How far its replay is behind the primary, in milliseconds (absent before its first answer). */
  lagMs?: number;
  /** Why it is down. */
  error?: string;
}

/** Where a read was served: a replica's name, or `primary`. */
export type ReadSource = string;
export const PRIMARY = 'primary';

/**
 * How a replica tells how far it has replayed what reads wait on: a scalar SQL expression that
 * evaluates to a JSON object `{ "name": "position" }`, asked in the same statement as the replay
 * position. The read side provides it (the projections' checkpoints); this folder knows no table
 * of theirs.
 */
export interface ReplayedPositionsQuery {
  readonly sql: string;
}

/** Without a query of the read side's: no position is known, so no `consistentWith` read goes to a replica. */
export const NO_POSITIONS: ReplayedPositionsQuery = { sql: `'{}'::json` };

/** The name a replica is reported under: its host, port and database, never its credentials. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** `X/Y` (a pg_lsn) as one number. */
export function lsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** One streaming replica: its pool, and what the last poll learned. */
export class ReadReplica {
  lagMs?: number;
  error?: string;
  /** Each projection's checkpoint as the replica has replayed it (only ever moves forward). */
  private readonly positions = new Map<string, bigint>();
  private answered = false;

  constructor(
    readonly name: string,
    readonly db: Database,
    private readonly maxLagMs: number,
  ) {}

  get state(): ReplicaState {
    if (!this.answered || this.error !== undefined || this.db.health.trouble()) return 'down';
    return (this.lagMs ?? Infinity) > this.maxLagMs ? 'lagging' : 'up';
  }

  get healthy(): boolean {
    return this.state === 'up';
  }

  /** Whether the replica has replayed every projection in `names` up to `position`. */
  reached(names: readonly string[], position: bigint): boolean {
    return names.every((n) => (this.positions.get(n) ?? -1n) >= position);
  }

  status(): ReplicaStatus {
    const error = this.error ?? this.db.health.trouble()?.message;
    return { name: this.name, state: this.state, ...(this.lagMs === undefined ? {} : { lagMs: this.lagMs }), ...(error ? { error } : {}) };
  }

  /** @internal */
  record(answer: { lagMs: number; positions: Record<string, string> }): void {
    this.answered = true;
    this.error = undefined;
    this.lagMs = answer.lagMs;
    for (const [name, position] of Object.entries(answer.positions)) {
      const at = BigInt(position);
      if (at > (this.positions.get(name) ?? -1n)) this.positions.set(name, at);
    }
  }

  /** @internal */
  fail(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
  }
}
