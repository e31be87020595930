import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import { appendToStreams } from './append.js';
import { EventStore } from './eventStore.js';
import type { RecordedEvent } from './types.js';

let testDb: TestDatabase;
let db: Database;
let store: EventStore;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect({ poolSize: 24 });
  store = new EventStore(db);
});
afterAll(() => testDb.drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Appends inside an explicit transaction and waits `delayMs` before committing: a late commit. */
async function appendWithLateCommit(streamId: string, delayMs: number) {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const outcome = await appendToStreams(client, {
      streams: [{ streamId, streamType: 'Test', events: [{ type: 'Happened', data: { streamId } }] }],
    });
    await sleep(delayMs);
    await client.query('COMMIT');
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

describe('positions under concurrent writers', () => {
  it('does not give out a later position while an earlier append is still uncommitted', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const early = await appendToStreams(client, {
        streams: [{ streamId: 'early', streamType: 'Test', events: [{ type: 'A', data: {} }] }],
      });
      let lateDone = false;
      const late = store.append({ streams: [{ streamId: 'late', streamType: 'Test', events: [{ type: 'B', data: {} }] }] }).then((o) => {
        lateDone = true;
        return o;
      });
      await sleep(300);
      expect(lateDone).toBe(false);
      expect(await store.readAll(BigInt(early.lastPosition) - 1n)).toEqual([]);
      await client.query('COMMIT');
      const lateOutcome = await late;
      expect(BigInt(lateOutcome.lastPosition)).toBeGreaterThan(BigInt(early.lastPosition));
    } finally {
      client.release();
    }
  });

  it('loses nothing, duplicates no version and lets a concurrent reader see every event once in order, with 16 writers (half committing late, half group-committed)', async () => {
    const writers = 16;
    const appendsPerWriter = 25;
    const sharedStreams = ['shared-0', 'shared-1', 'shared-2', 'shared-3'];
    const acknowledged: string[] = [];
    let writing = true;

    const seen: RecordedEvent[] = [];
    const reader = (async () => {
      let checkpoint = 0n;
      for (;;) {
        const stillWriting = writing;
        const batch = await store.readAll(checkpoint, 7);
        seen.push(...batch);
        if (batch.length > 0) checkpoint = batch.at(-1)!.position;
        else if (!stillWriting) return;
        else await sleep(1);
      }
    })();

    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < appendsPerWriter; i++) {
          const streamId = i % 3 === 0 ? sharedStreams[(w + i) % sharedStreams.length]! : `writer-${w}-${i}`;
          const outcome =
            w % 2 === 0
              ? await appendWithLateCommit(streamId, Math.floor(Math.random() * 6))
              : await store.append({ streams: [{ streamId, streamType: 'Test', events: [{ type: 'Happened', data: { streamId } }] }] });
          acknowledged.push(...outcome.events.map((e) => e.position));
        }
      }),
    );
    writing = false;
    await reader;

    const all = await store.readAll(0n, 100_000, { types: ['Happened'] });
    expect(all).toHaveLength(writers * appendsPerWriter);
    expect(new Set(all.map((e) => e.position)).size).toBe(all.length);
    expect(acknowledged.map(BigInt).sort((a, b) => (a < b ? -1 : 1))).toEqual(all.map((e) => e.position));

    for (const streamId of sharedStreams) {
      const versions = (await store.readStream(streamId)).map((e) => e.version);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }

    const seenHappened = seen.filter((e) => e.type === 'Happened');
    expect(seenHappened.map((e) => e.position)).toEqual(all.map((e) => e.position));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
  });
});
