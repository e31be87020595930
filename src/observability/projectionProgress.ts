import type pg from 'pg';

/** Where one projection stands against the head of the log. */
export interface ProjectionProgress {
  name: string;
  /** The last log position it has applied (its checkpoint). */
  position: bigint;
  /** REBUILDING: its old tables serve (and stand still) while a new version is built beside them. */
  status: 'RUNNING' | 'REBUILDING' | 'FAILED';
  /** Head position minus checkpoint: an upper bound on the events it still has to apply. */
  lag: bigint;
}

export interface ReadSideProgress {
  head: bigint;
  projections: ProjectionProgress[];
}

// One round trip for the head and every checkpoint. Checkpoints live in the database rather than
// in the runners, so any process (also a RUN_PROJECTIONS=false one) sees the projections that
// whichever process holds their lock is running. `max(position)` is an index lookup.
const PROGRESS_SQL = `
  SELECT (SELECT coalesce(max(position), 0) FROM events)::text AS head,
         coalesce((SELECT json_agg(json_build_object('name', name, 'position', position::text, 'status', status))
                   FROM projection_checkpoints), '[]'::json) AS checkpoints`;

/**
 * Reads the head of the log and the checkpoints of the projections called `names`. A projection that has not yet
 * written its checkpoint counts as RUNNING at position 0.
 */
export async function readProjectionProgress(db: pg.Pool, names: readonly string[]): Promise<ReadSideProgress> {
  const { rows } = await db.query<{ head: string; checkpoints: { name: string; position: string; status: string }[] }>(PROGRESS_SQL);
  const head = BigInt(rows[0]!.head);
  const stored = new Map(rows[0]!.checkpoints.map((c) => [c.name, c]));
  const projections = names.map((name): ProjectionProgress => {
    const row = stored.get(name);
    const position = BigInt(row?.position ?? '0');
    return {
      name,
      position,
      status: row?.status === 'FAILED' || row?.status === 'REBUILDING' ? row.status : 'RUNNING',
      lag: head > position ? head - position : 0n,
    };
  });
  return { head, projections };
}

/** Resolves with `work`, or rejects once `ms` have passed (the work itself is left to finish). */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
