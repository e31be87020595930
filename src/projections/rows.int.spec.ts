import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import { arrayLiteral, insertMany } from './rows.js';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect();
  await db.pool.query('CREATE TABLE bulk_rows (id bigint, name text, amount int, at timestamptz)');
});
afterAll(async () => {
  await testDb.drop();
});

describe('bulk row writes', () => {
  it('writes every value as given through array literals, quotes, backslashes, braces, NULL-looking text and nulls included', async () => {
    const names = ['plain', 'with "quotes"', 'back\\slash', '{braces, and commas}', 'NULL', '', ' spaced ', 'ünïcødé ✓', "it's", null];
    const rows = names.map((name, i) => ({
      id: 9_007_199_254_740_993n + BigInt(i),
      name,
      amount: i === 3 ? null : i * 7 - 20,
      at: i % 2 ? `2024-05-01T10:0${i}:00.000Z` : new Date(Date.UTC(2024, 4, 1, 10, i)),
    }));
    await insertMany(db.pool as never, 'bulk_rows', { id: 'bigint', name: 'text', amount: 'int', at: 'timestamptz' }, rows);
    const { rows: stored } = await db.pool.query<{ id: string; name: string | null; amount: number | null; at: Date }>(
      'SELECT id::text, name, amount, at FROM bulk_rows ORDER BY id',
    );
    expect(stored).toEqual(
      rows.map((row, i) => ({ id: row.id.toString(), name: names[i], amount: row.amount, at: new Date(Date.UTC(2024, 4, 1, 10, i)) })),
    );
  });

  it('makes numeric columns a bare list and other columns quoted elements', () => {
    expect(arrayLiteral([1, 2n, -3])).toBe('{1,2,-3}');
    expect(arrayLiteral(['a"b', null, 'c\\d'])).toBe('{"a\\"b",NULL,"c\\\\d"}');
    expect(arrayLiteral([])).toBe('{}');
    expect(() => arrayLiteral([{ not: 'a value' }])).toThrow(TypeError);
  });
});
