import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryStore } from '../src/reactions/deliveryStore.js';
import { useTestServer } from './support/testServer.js';

// A run sent one message after the other renews the lease of the whole run as it goes; a run whose lease ran out
// learns it, so that it neither goes on nor gives back messages another process may hold by then.
const server = useTestServer();

/** A target of a kind this service has no sender for (nothing attempts it) with `count` messages of one stream. */
async function targetWithStream(count: number): Promise<{ targetId: string; store: DeliveryStore }> {
  const pool = server.services.db.pool;
  const targetId = randomUUID();
  await pool.query(`INSERT INTO reaction_targets (id, kind, event_types, from_position) VALUES ($1, 'leaseTest', '{}', 0)`, [targetId]);
  for (let i = 1; i <= count; i++)
    await pool.query(
      // Due a second ago: a default of now() is rounded to the millisecond, possibly just ahead of a claim.
      `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message, next_attempt_at)
       VALUES ($1, $2, $3, 'lease-stream', 'test', 'lease-stream', '{}'::jsonb, now() - interval '1 second')`,
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

/** Whether every lease of these messages ran out, by PostgreSQL's clock (the one claims and renewals read). */
const lapsed = async (ids: readonly bigint[]) =>
  (
    await server.services.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM reaction_deliveries WHERE id = ANY($1::bigint[]) AND locked_until > now()',
      [ids.map(String)],
    )
  ).rows[0]!.n === 0;

const rowsOf = async (ids: readonly bigint[]) =>
  (
    await server.services.db.pool.query<{ status: string; leased: boolean; attempts: number }>(
      'SELECT status, locked_until > now() AS leased, attempts FROM reaction_deliveries WHERE id = ANY($1::bigint[]) ORDER BY position',
      [ids.map(String)],
    )
  ).rows;

describe('the lease of a run', () => {
  it('is extended for the whole run, the messages already sent included, while it is still held', async () => {
    const { targetId, store } = await targetWithStream(3);
    const [run] = await store.claim(targetId, 1, 25, 60_000, 8);
    expect(run).toHaveLength(3);
    const ids = run!.map((d) => d.id);
    // A run is recorded when it ends: until then its sent messages are held by the same lease.
    expect(await store.renew(ids, run![0]!.lease, 600_000)).toBe(true);
    for (const until of await leasedUntil(ids)) expect(until!.getTime()).toBeGreaterThan(Date.now() + 300_000);
    // Nothing of the stream can be claimed meanwhile.
    expect(await store.claim(targetId, 1, 25, 60_000, 8)).toHaveLength(0);
  });

  it('is not renewed once it ran out, and the run is told', async () => {
    const { targetId, store } = await targetWithStream(2);
    const [run] = await store.claim(targetId, 1, 25, 50, 8);
    const ids = run!.map((d) => d.id);
    await expect.poll(() => lapsed(ids), { timeout: 10_000 }).toBe(true);
    expect(await store.renew(ids, run![0]!.lease, 600_000)).toBe(false);
    // Left as they were: free for another process to claim.
    const [again] = await store.claim(targetId, 1, 25, 60_000, 8);
    expect(again?.map((d) => d.id)).toEqual(ids);
  });

  it('once run out and claimed by another process, is no longer renewed, recorded or given back by the process that stalled', async () => {
    const { targetId, store } = await targetWithStream(3);
    // A process claims the stream, then stalls past its lease (a long pause, a frozen VM).
    const [stale] = await store.claim(targetId, 1, 25, 50, 8);
    const ids = stale!.map((d) => d.id);
    await expect.poll(() => lapsed(ids), { timeout: 10_000 }).toBe(true);
    const [current] = await store.claim(targetId, 1, 25, 600_000, 8);
    expect(current!.map((d) => d.id)).toEqual(ids);

    // The stalled process wakes up: what it does must not touch the other process's claim.
    expect(await store.renew(ids, stale![0]!.lease, 600_000)).toBe(false);
    await store.recordDelivered(stale![0]!.lease, [{ id: ids[0]!, latencyMs: 1 }]);
    await store.record(
      stale![1]!,
      { outcome: 'failed', error: 'timed out', latencyMs: 1 },
      { retryInMs: undefined, disableAfterMs: 600_000 },
    );
    await store.release([ids[2]!], stale![0]!.lease);
    expect(await rowsOf(ids)).toEqual(ids.map(() => ({ status: 'PENDING', leased: true, attempts: 2 })));
    // Still in flight: no one else can start the stream.
    expect(await store.claim(targetId, 1, 25, 600_000, 8)).toHaveLength(0);

    // The claim that holds them records them.
    await store.recordDelivered(
      current![0]!.lease,
      ids.map((id) => ({ id, latencyMs: 1 })),
    );
    expect(await rowsOf(ids)).toEqual(ids.map(() => ({ status: 'DELIVERED', leased: null, attempts: 2 })));
  });

  it('once claimed and recorded by a process of an earlier release (which leaves the token), is not recorded again by the process that stalled', async () => {
    const { targetId, store } = await targetWithStream(1);
    const [stale] = await store.claim(targetId, 1, 25, 50, 8);
    const ids = stale!.map((d) => d.id);
    await expect.poll(() => lapsed(ids), { timeout: 10_000 }).toBe(true);
    // The earlier release's claim and record, as it wrote them: the lease only, never the token.
    const pool = server.services.db.pool;
    await pool.query(`UPDATE reaction_deliveries SET locked_until = now() + interval '10 minutes', attempts = attempts + 1 WHERE id = $1`, [
      ids[0]!.toString(),
    ]);
    await pool.query(
      `UPDATE reaction_deliveries SET status = 'DELIVERED', locked_until = NULL WHERE id = $1 AND locked_until IS NOT NULL`,
      [ids[0]!.toString()],
    );
    await store.record(
      stale![0]!,
      { outcome: 'failed', error: 'timed out', latencyMs: 1 },
      { retryInMs: undefined, disableAfterMs: 600_000 },
    );
    await store.release(ids, stale![0]!.lease);
    expect(await rowsOf(ids)).toEqual([{ status: 'DELIVERED', leased: null, attempts: 2 }]);
  });
});
