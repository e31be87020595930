import type pg from 'pg';

/** A reaction target that settings turn on (a broker, a mail server) rather than an admin's mutation. */
export interface ConfiguredTarget {
  /** Fixed per kind: the same row across restarts and processes, so its deliveries and lag carry over. */
  id: string;
  kind: string;
  /** The integration event types it receives; none: every type. */
  eventTypes?: readonly string[];
}

/**
 * Makes sure the target's row exists (the first start with its setting creates it). A new row
 * receives the events after the log's head at that moment: turning a mail server on must not email
 * every customer about their past orders. A row that exists keeps its place, so a restart loses and
 * repeats nothing; its event types follow the code. A start enables a target that had disabled
 * itself (there is no admin to do it; whoever restarts has seen to the broker or mail server).
 */
export async function ensureConfiguredTarget(pool: pg.Pool, target: ConfiguredTarget): Promise<void> {
  await pool.query(
    `INSERT INTO reaction_targets (id, kind, event_types, from_position)
     VALUES ($1, $2, $3::text[], (SELECT coalesce(max(position), 0) FROM events))
     ON CONFLICT (id) DO UPDATE SET event_types = EXCLUDED.event_types, enabled = true, disabled_reason = NULL,
       failing_since = CASE WHEN reaction_targets.enabled THEN reaction_targets.failing_since END`,
    [target.id, target.kind, target.eventTypes ?? null],
  );
}

/**
 * Marks the target disabled, saying why, when its setting is no longer given: its messages keep
 * being written (nothing is lost) and wait; giving the setting again sends them, in order. To drop
 * them instead, delete the target's row (its deliveries go with it).
 */
export async function parkConfiguredTarget(pool: pg.Pool, target: ConfiguredTarget, reason: string): Promise<void> {
  await pool.query('UPDATE reaction_targets SET enabled = false, disabled_reason = $2 WHERE id = $1 AND enabled', [target.id, reason]);
}
