import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryStore } from '../src/reactions/deliveryStore.js';
import { useTestServer } from './support/testServer.js';

// A run sent one message after the other renews its lease as it goes; a run whose lease ran out
// learns it, so that it neither goes on nor gives back messages another process may hold by then.
const server = useTestServer();

/** A target of a kind this service has no sender for (nothing attempts it) with `count` messages of one stream. */
async function targetWithStream(count: number): Promise<{ targetId: string; store: DeliveryStore }> {
  const pool = server.services.db.pool;
  const targetId = randomUUID();
  await pool.query(`INSERT INTO reaction_targets (id, kind, event_types, from_position) VALUES ($1, 'leaseTest', '{}', 0)`, [targetId]);
  for (let i = 1; i <= count; i++)
    await pool.query(
      `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message)
       VALUES ($1, $2, $3, 'lease-stream', 'test', 'lease-stream', '{}'::jsonb)`,
      [targetId, `lease-stream:${i}`, i],
    );
  return { targetId, store: new DeliveryStore(pool) };
}

const leasedUntil = async (ids: readonly bigint[]) =>
  (
    await server.services.db.pool.query<{ until: Date | null }>(
      'SELECT locked_until AS until FROM reaction_deliveries WHERE id = ANY($1::bigint[]) ORDER BY position',
      [ids.map(String)],
    )
  ).rows.map((r) => r.until);

describe('the lease of a run', () => {
  it('is extended for what is left of the run while it is still held', async () => {
    const { targetId, store } = await targetWithStream(3);
    const [run] = await store.claim(targetId, 1, 25, 2_000, 8);
    expect(run).toHaveLength(3);
    const rest = run!.slice(1).map((d) => d.id);
    expect(await store.renew(rest, 600_000)).toBe(true);
    const [first, ...others] = await leasedUntil(run!.map((d) => d.id));
    for (const until of others) expect(until!.getTime()).toBeGreaterThan(Date.now() + 300_000);
    // The message already sent keeps its own lease.
    expect(first!.getTime()).toBeLessThan(Date.now() + 300_000);
  });

  it('is not renewed once it ran out, and the run is told', async () => {
    const { targetId, store } = await targetWithStream(2);
    const [run] = await store.claim(targetId, 1, 25, 50, 8);
    const ids = run!.map((d) => d.id);
    await expect.poll(async () => (await leasedUntil(ids)).every((until) => until!.getTime() < Date.now()), { timeout: 10_000 }).toBe(true);
    expect(await store.renew(ids, 600_000)).toBe(false);
    // Left as they were: free for another process to claim.
    const [again] = await store.claim(targetId, 1, 25, 60_000, 8);
    expect(again?.map((d) => d.id)).toEqual(ids);
  });
});
