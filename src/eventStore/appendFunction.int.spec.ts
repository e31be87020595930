import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { event, newId, useEventStore } from '../../tests/support/eventStoreFixture.js';
import { appendBatch } from './append.js';
import type { AppendOutcome, AppendRequest } from './types.js';

const fixture = useEventStore();

/** Where the log says each stream's events are, in the shape an outcome lists them. */
async function storedEvents(streamIds: string[]) {
  const { rows } = await fixture.db.pool.query<{ streamId: string; version: number; type: string; position: string }>(
    `SELECT stream_id AS "streamId", version, type, position::text AS position FROM events WHERE stream_id = ANY($1) ORDER BY position`,
    [streamIds],
  );
  return rows;
}

function twoStreams(ids: [string, string], commandId?: string): AppendRequest {
  return {
    streams: [
      { streamId: ids[0], streamType: 'Order', events: [event('First'), event('Second'), event('Third')] },
      { streamId: ids[1], streamType: 'Product', events: [event('Only')] },
    ],
    idempotency: commandId ? { caller: 'staff:alice', commandId, inputHash: 'h' } : undefined,
  };
}

describe('the append function', () => {
  it('lists every event of a batch of several commands and streams where the log holds it, with and without command ids', async () => {
    const commands = Array.from({ length: 6 }, (_, i) => ({
      ids: [newId('order'), newId('product')] as [string, string],
      commandId: i % 2 === 0 ? newId('cmd') : undefined,
    }));
    // Streams that already hold events, so versions do not start at 1.
    await fixture.store.append({ streams: [{ streamId: commands[1]!.ids[0], streamType: 'Order', events: [event('Earlier')] }] });
    const outcomes = (await appendBatch(
      fixture.db.pool,
      commands.map((c) => twoStreams(c.ids, c.commandId)),
    )) as AppendOutcome[];

    for (const [i, outcome] of outcomes.entries()) {
      const ids = commands[i]!.ids;
      const stored = (await storedEvents(ids)).filter((e) => e.type !== 'Earlier');
      expect(outcome.events).toEqual(stored);
      expect(outcome.streams).toEqual([
        { streamId: ids[0], version: i === 1 ? 4 : 3 },
        { streamId: ids[1], version: 1 },
      ]);
      expect(outcome.lastPosition).toBe(stored.at(-1)!.position);
      expect(outcome.duplicate).toBe(false);
    }
  });

  it('answers a stream given no events with its version and lists no event for it', async () => {
    const [empty, full] = [newId('order'), newId('order')];
    await fixture.store.append({ streams: [{ streamId: empty, streamType: 'Order', events: [event('Earlier')] }] });
    const [outcome] = (await appendBatch(fixture.db.pool, [
      {
        streams: [
          { streamId: empty, streamType: 'Order', events: [] },
          { streamId: full, streamType: 'Order', events: [event('Only')] },
        ],
      },
    ])) as AppendOutcome[];
    expect(outcome!.streams).toEqual([
      { streamId: empty, version: 1 },
      { streamId: full, version: 1 },
    ]);
    expect(outcome!.events).toEqual(await storedEvents([full]));
    expect(outcome!.lastPosition).toBe(outcome!.events[0]!.position);
  });

  it('answers a repeated command id with the events of its first append, as stored', async () => {
    const ids: [string, string] = [newId('order'), newId('product')];
    const commandId = newId('cmd');
    const [first] = (await appendBatch(fixture.db.pool, [twoStreams(ids, commandId)])) as AppendOutcome[];
    const [repeat] = (await appendBatch(fixture.db.pool, [twoStreams(ids, commandId)])) as AppendOutcome[];
    expect(repeat).toEqual({ ...first, duplicate: true });
    expect(repeat!.events).toEqual(await storedEvents(ids));
  });

  it('still lists the events for a caller of the one-argument form, as an earlier release calls it during a rolling upgrade', async () => {
    const ids: [string, string] = [newId('order'), newId('product')];
    const payload = JSON.stringify([{ streams: twoStreams(ids).streams, metadata: {} }]);
    const { rows } = await fixture.db.pool.query<{ replies: { status: string; outcome: { events: unknown[] } }[] }>(
      'SELECT ordersource_append($1::jsonb) AS replies',
      [payload],
    );
    expect(rows[0]!.replies[0]!.status).toBe('ok');
    expect(rows[0]!.replies[0]!.outcome.events).toEqual(await storedEvents(ids));
  });

  it('finds the stored outcome of a command id by its key, without reading every stored command', async () => {
    // Big enough that the planner, guessing 100 commands a batch, would read the whole table
    // rather than probe its key 100 times; small enough to write in a moment.
    await fixture.db.pool.query(`INSERT INTO command_results (caller, command_id, input_hash, result)
      SELECT 'staff:earlier', 'earlier-' || g, 'h', '{"events": []}'::jsonb FROM generate_series(1, 20000) g`);
    await fixture.db.pool.query('ANALYZE command_results');
    const client = new pg.Client({ connectionString: fixture.db.connectionString });
    await client.connect();
    try {
      // In one transaction, whose own scans PostgreSQL counts apart from every other session's.
      await client.query('BEGIN');
      for (let i = 0; i < 10; i++) {
        const [outcome] = await appendBatch(client, [twoStreams([newId('order'), newId('product')], newId('cmd'))]);
        expect(outcome).toMatchObject({ duplicate: false });
      }
      const { rows } = await client.query<{ n: string }>(
        `SELECT seq_scan::text AS n FROM pg_stat_xact_user_tables WHERE relname = 'command_results'`,
      );
      expect(Number(rows[0]!.n)).toBe(0);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });
});
