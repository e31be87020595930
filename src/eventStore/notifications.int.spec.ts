import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import { CommitNotifier } from './notifications.js';

let testDb: TestDatabase;
let db: Database;
const notifiers: CommitNotifier[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect();
});
afterAll(async () => {
  await Promise.all(notifiers.map((notifier) => notifier.stop()));
  await testDb.drop();
});

function open(): CommitNotifier {
  const notifier = new CommitNotifier(db.connectionString);
  notifiers.push(notifier);
  return notifier;
}

const notify = (channel: string, payload: string) => db.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);

describe("the commit listener's other channels", () => {
  it('hears a channel asked for before it started and one asked for after, on its one connection', async () => {
    const notifier = open();
    const early: string[] = [];
    const late: string[] = [];
    notifier.listen('test_early', (payload) => early.push(payload));
    await notifier.start();
    notifier.listen('test_late', (payload) => late.push(payload));
    await vi.waitFor(
      async () => {
        await notify('test_early', 'a');
        await notify('test_late', 'b');
        expect(early).toContain('a');
        expect(late).toContain('b');
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('listens again after its connection is cut, tells who asked, and hears the channel as before', async () => {
    const notifier = open();
    const heard: string[] = [];
    let reconnects = 0;
    notifier.listen('test_again', (payload) => heard.push(payload));
    notifier.onReconnect(() => reconnects++);
    await notifier.start();
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
    );
    await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 30_000, interval: 100 });
    expect(notifier.listening).toBe(true);
    await vi.waitFor(
      async () => {
        await notify('test_again', 'after');
        expect(heard).toContain('after');
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('refuses a channel name it could not LISTEN to as written', () => {
    expect(() => open().listen('no; DROP TABLE events', () => {})).toThrow(/not a channel name/);
  });
});
