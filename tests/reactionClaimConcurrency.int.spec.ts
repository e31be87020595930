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
    `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message)
     SELECT $1, 'claim-' || g, g, 'stream-' || (g % $2), 'test', 'stream-' || (g % $2), '{}'::jsonb FROM generate_series(1, 2 * $2) g`,
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

    await store.recordDelivered(runs[0]!.map((d) => ({ id: d.id, latencyMs: 1 })));
    expect(await store.claim(targetId, 4, 25, LEASE_MS, 4)).toHaveLength(1);

    // A failure at the head of another run: the head waits for its retry, the rest is given back.
    const [head, ...rest] = runs[1]!;
    await store.record(head!.id, { outcome: 'failed', error: 'refused', latencyMs: 1 }, { retryInMs: LEASE_MS, disableAfterMs: LEASE_MS });
    await store.release(rest.map((d) => d.id));
    const next = await store.claim(targetId, 4, 25, LEASE_MS, 4);
    expect(next).toHaveLength(1);
    // Not the stream whose retry is not due yet.
    expect(next[0]!.map((d) => d.eventId)).not.toContain(head!.eventId);
  });
});
