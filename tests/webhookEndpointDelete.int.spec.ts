import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhooksOf } from '../src/webhooks/webhookServices.js';
import { WEBHOOK_KIND } from '../src/webhooks/webhookEndpoints.js';
import { useTestServer } from './support/testServer.js';

// Deleting an endpoint deletes its deliveries, while a delivering process may be recording a
// run's outcomes on those same rows in another order. PostgreSQL resolves such a deadlock by
// failing one side; the admin's delete must not be the one that gives up.
const server = useTestServer();

async function endpointWithDeliveries(count: number): Promise<{ targetId: string; ids: string[] }> {
  const pool = server.services.db.pool;
  const targetId = randomUUID();
  await pool.query(`INSERT INTO reaction_targets (id, kind, event_types, from_position) VALUES ($1, $2, '{}', 0)`, [
    targetId,
    WEBHOOK_KIND,
  ]);
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message)
       VALUES ($1, $2, $3, 'delete-stream', 'test', 'delete-stream', '{}'::jsonb) RETURNING id::text`,
      [targetId, `delete-stream:${i}`, i],
    );
    ids.push(rows[0]!.id);
  }
  return { targetId, ids };
}

describe('deleting a webhook endpoint', () => {
  it('succeeds when it deadlocks with a transaction that records its deliveries in the opposite order', async () => {
    const { targetId, ids } = await endpointWithDeliveries(3);
    const pool = server.services.db.pool;
    const recorder = await pool.connect();
    try {
      // The recording side holds the last delivery ...
      await recorder.query('BEGIN');
      await recorder.query('SELECT 1 FROM reaction_deliveries WHERE id = $1 FOR UPDATE', [ids[2]]);
      const deleting = webhooksOf(server.services).endpoints.delete(targetId);
      // ... the delete takes the first ones and waits for the last ...
      await expect
        .poll(
          async () =>
            (
              await pool.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%DELETE%'`,
              )
            ).rows[0]!.n,
          { timeout: 10_000 },
        )
        .toBeGreaterThan(0);
      // ... and the recording side then asks for the first one: a deadlock, which PostgreSQL breaks
      // by failing the delete (it has waited longest).
      const recording = recorder.query('SELECT 1 FROM reaction_deliveries WHERE id = $1 FOR UPDATE', [ids[0]]);
      await recording;
      await recorder.query('COMMIT');
      expect(await deleting).toBe(true);
    } finally {
      recorder.release();
    }
    const { rows } = await pool.query('SELECT 1 FROM reaction_deliveries WHERE target_id = $1', [targetId]);
    expect(rows).toHaveLength(0);
  });
});
