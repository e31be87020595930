import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryStore } from '../src/reactions/deliveryStore.js';
import { useTestServer } from './support/testServer.js';

// A target's streams in flight are bounded across every process by what the claims lease: a
// process claiming after another gets only the slots the other left, and a stream frees its slot
// once its run is recorded, or once the failure at its head is.
const server = useTestServer();

/** A target of a kind this service has no sender for (nothing attempts it), with `streams` streams of two messages each. */
async function targetWithStreams(streams: number): Promise<string> {
  const targetId = randomUUID();
  await server.services.db.pool.query(
    `INSERT INTO reaction_targets (id, kind, event_types, from_position) VALUES ($1, 'claimTest', '{}', 0)`,
    [targetId],
  );
  await server.services.db.pool.query(
    // Due a second ago: a default of now() is rounded to the millisecond, possibly just ahead of a claim.
    `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message, next_attempt_at)
     SELECT $1, 'claim-' || g, g, 'stream-' || (g % $2), 'test', 'stream-' || (g % $2), '{}'::jsonb, now() - interval '1 second'
     FROM generate_series(1, 2 * $2) g`,
    [targetId, streams],
  );
  return targetId;
}

const LEASE_MS = 600_000;

describe('claiming a target with a concurrency of 4', () => {
  it('gives a second process only the streams the first left free', async () => {
    const targetId = await targetWithStreams(10);
    const one = new DeliveryStore(server.services.db.pool);
    const other = new DeliveryStore(server.services.db.pool);
    const first = await one.claim(targetId, 3, 25, LEASE_MS, 4);
    expect(first).toHaveLength(3);
    const second = await other.claim(targetId, 3, 25, LEASE_MS, 4);
    expect(second).toHaveLength(1);
    expect(await other.claim(targetId, 3, 25, LEASE_MS, 4)).toHaveLength(0);
    const streamsOf = (runs: { eventId: string }[][]) => runs.map((run) => run.map((d) => d.eventId));
    // No stream in two runs, each run the whole stream in order.
    const all = streamsOf([...first, ...second]);
    expect(new Set(all.flat()).size).toBe(8);
    for (const run of all) expect(run).toHaveLength(2);
  });

  it('frees a slot once a run is recorded delivered, and once a failure at its head is recorded', async () => {
    const targetId = await targetWithStreams(6);
    const store = new DeliveryStore(server.services.db.pool);
    const runs = await store.claim(targetId, 4, 25, LEASE_MS, 4);
    expect(runs).toHaveLength(4);
    expect(await store.claim(targetId, 4, 25, LEASE_MS, 4)).toHaveLength(0);

    await store.recordDelivered(
      runs[0]![0]!.lease,
      runs[0]!.map((d) => ({ id: d.id, latencyMs: 1 })),
    );
    expect(await store.claim(targetId, 4, 25, LEASE_MS, 4)).toHaveLength(1);

    // A failure at the head of another run: the head waits for its retry, the rest is given back.
    const [head, ...rest] = runs[1]!;
    await store.record(head!, { outcome: 'failed', error: 'refused', latencyMs: 1 }, { retryInMs: LEASE_MS, disableAfterMs: LEASE_MS });
    await store.release(
      rest.map((d) => d.id),
      head!.lease,
    );
    const next = await store.claim(targetId, 4, 25, LEASE_MS, 4);
    expect(next).toHaveLength(1);
    // Not the stream whose retry is not due yet.
    expect(next[0]!.map((d) => d.eventId)).not.toContain(head!.eventId);
  });

  it('leaves a stream alone whose oldest message was redelivered ahead of a run still in flight, and sends it after that run', async () => {
    const targetId = await targetWithStreams(1);
    const pool = server.services.db.pool;
    // The stream's first message went dead; the later ones are claimed as a run.
    await pool.query(`UPDATE reaction_deliveries SET status = 'DEAD' WHERE target_id = $1 AND position = 1`, [targetId]);
    const store = new DeliveryStore(pool);
    const [run] = await store.claim(targetId, 4, 25, LEASE_MS, 4);
    expect(run!.map((d) => d.eventId)).toEqual(['claim-2']);
    expect(await store.redeliverDead(targetId)).toBe(1);
    // Due for sure (a redelivery's now() is rounded to the millisecond, possibly just ahead).
    await pool.query(`UPDATE reaction_deliveries SET next_attempt_at = now() - interval '1 second' WHERE target_id = $1 AND position = 1`, [
      targetId,
    ]);
    // The redelivered message is now the stream's oldest, due and free; the run behind it is not done.
    expect(await store.claim(targetId, 4, 25, LEASE_MS, 4)).toHaveLength(0);
    await store.recordDelivered(
      run![0]!.lease,
      run!.map((d) => ({ id: d.id, latencyMs: 1 })),
    );
    const [again] = await store.claim(targetId, 4, 25, LEASE_MS, 4);
    expect(again!.map((d) => d.eventId)).toEqual(['claim-1']);
  });
});
