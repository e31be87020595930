import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { EventStore } from '../../src/eventStore/eventStore.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

/** A started event store on a database of its own for the calling spec file, dropped after it. */
export function useEventStore(): { readonly db: Database; readonly store: EventStore } {
  let testDb: TestDatabase;
  const fixture = {} as { db: Database; store: EventStore };
  beforeAll(async () => {
    testDb = await createTestDatabase();
    fixture.db = testDb.connect();
    fixture.store = new EventStore(fixture.db);
    await fixture.store.start();
  });
  afterAll(async () => {
    await fixture.store.stop();
    await testDb.drop();
  });
  return fixture;
}

/** An event of `type` as an append takes it. */
export const event = (type: string, data: Record<string, unknown> = {}) => ({ type, data });

/** An id no other test uses: `prefix-` and random letters. */
export const newId = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2)}`;
