import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Column name -> SQL type, for rows shipped as one jsonb parameter. */
export type Columns = Record<string, string>;

/** JSON for a jsonb parameter; bigints as strings (PostgreSQL casts them back). */
export const toJsonb = (value: unknown): string => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * The writes of one projection batch, sent as one statement: each write is a data-modifying CTE
 * (`WITH w0 AS (INSERT ...), w1 AS (DELETE ...) SELECT 1`), so a batch costs one round trip however
 * many tables it touches (round trips dominate a projection's cost). The writes of one
 * statement see the same snapshot and run in no set order, so they must touch disjoint rows.
 */
export class RowWrites {
  private readonly parts: string[] = [];
  private readonly values: unknown[] = [];

  /** A parameter placeholder (`$n`) for `value`. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * `unnest($a::type[], $b::type[], ...) AS r(a, b, ...)`: `rows` as one typed array parameter per
   * column, for a write that joins them to a table. Not a recordset: the planner counts the
   * elements of an array parameter, but takes any recordset for 100 rows, and then joins by hash
   * over the whole table (until it holds tens of thousands of rows) where a few index probes do.
   */
  arrays(columns: Columns, rows: readonly object[]): string {
    const names = Object.keys(columns);
    const params = names.map((c) => `${this.param(rows.map((row) => (row as Record<string, unknown>)[c]))}::${columns[c]}[]`);
    return `unnest(${params.join(', ')}) AS r(${names.map((c) => `"${c}"`).join(', ')})`;
  }

  /** A data-modifying statement (INSERT, UPDATE or DELETE) using placeholders from `param`. */
  add(sql: string): this {
    this.parts.push(sql);
    return this;
  }

  /**
   * `INSERT ... SELECT FROM jsonb_to_recordset ... ON CONFLICT (key) DO UPDATE` of `rows` (keyed by
   * column name). With `onConflict: 'nothing'` existing rows are kept (append-only tables).
   */
  upsert(
    table: string,
    columns: Columns,
    key: string[],
    rows: Record<string, unknown>[],
    onConflict: 'update' | 'nothing' = 'update',
  ): this {
    if (rows.length === 0) return this;
    const names = Object.keys(columns);
    const list = names.map((c) => `"${c}"`).join(', ');
    const updates = names
      .filter((c) => !key.includes(c))
      .map((c) => `"${c}" = EXCLUDED."${c}"`)
      .join(', ');
    const action = onConflict === 'nothing' || updates === '' ? 'DO NOTHING' : `DO UPDATE SET ${updates}`;
    return this.add(
      `INSERT INTO ${table} (${list}) SELECT ${list} FROM ${recordset(this.param(toJsonb(rows)), columns)}
       ON CONFLICT (${key.map((c) => `"${c}"`).join(', ')}) ${action}`,
    );
  }

  /**
   * Sends every write added (nothing when there are none) as a prepared statement named after its
   * text: a projection's batches take a handful of shapes, each planned once per connection
   * rather than on every batch (planning such a statement costs more than running it).
   */
  async run(tx: pg.ClientBase): Promise<void> {
    if (this.parts.length === 0) return;
    const text = `WITH ${this.parts.map((sql, i) => `w${i} AS (${sql})`).join(',\n')} SELECT 1`;
    await tx.query({ name: `rows_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values: this.values });
  }
}

/** `jsonb_to_recordset(<param>::jsonb) AS r(<columns>)`: rows from a jsonb parameter. */
export function recordset(param: string, columns: Columns): string {
  return `jsonb_to_recordset(${param}::jsonb) AS r(${Object.entries(columns)
    .map(([c, type]) => `"${c}" ${type}`)
    .join(', ')})`;
}

/** Writes rows to `table` in one statement (RowWrites.upsert on its own). */
export async function upsertRows(
  tx: pg.ClientBase,
  table: string,
  columns: Columns,
  key: string[],
  rows: Record<string, unknown>[],
  onConflict: 'update' | 'nothing' = 'update',
): Promise<void> {
  await new RowWrites().upsert(table, columns, key, rows, onConflict).run(tx);
}

/** Loads the rows of `table` whose `column` is one of `keys`. */
export async function loadRows<R extends pg.QueryResultRow>(
  tx: pg.ClientBase,
  table: string,
  column: string,
  keys: string[],
): Promise<R[]> {
  if (keys.length === 0) return [];
  const { rows } = await tx.query<R>(`SELECT * FROM ${table} WHERE "${column}" = ANY($1::text[])`, [keys]);
  return rows;
}

/** Rows per statement of `insertMany`. */
const INSERT_MANY_CHUNK = 25_000;

/**
 * Plain INSERTs of many rows (no conflict handling: for tables being bulk loaded), in chunks of
 * one statement each, every column sent as one typed array and read back with `unnest`: about
 * twice as fast in PostgreSQL as `jsonb_to_recordset`, and close to COPY. Each chunk is prepared
 * while the database inserts the one before.
 */
export async function insertMany(tx: pg.ClientBase, table: string, columns: Columns, rows: readonly object[]): Promise<void> {
  const names = Object.keys(columns);
  const text = `INSERT INTO ${table} (${names.map((c) => `"${c}"`).join(', ')})
                SELECT * FROM unnest(${names.map((c, i) => `$${i + 1}::${columns[c]}[]`).join(', ')})`;
  const name = `insert_many_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  let previous: Promise<unknown> | undefined;
  for (let at = 0; at < rows.length; at += INSERT_MANY_CHUNK) {
    const chunk = rows.slice(at, at + INSERT_MANY_CHUNK) as Record<string, unknown>[];
    const values = names.map((c) => arrayLiteral(chunk.map((row) => row[c])));
    await previous;
    previous = tx.query({ name, text, values });
    previous.catch(() => {}); // awaited at the next chunk or below
  }
  await previous;
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * A PostgreSQL array literal (`{1,2}`, `{"a","b \\"c\\""}`) of numbers, bigints, strings and nulls,
 * for a typed array parameter. pg makes the same text element by element with a type check per
 * element; joining whole columns is about three times faster (600,000 lines of 6 columns: 0.4 s
 * against 1.1-1.5 s on the loaded machine), and a bulk write sends millions of elements.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  if (values.every((v) => typeof v === 'number' || typeof v === 'bigint')) return `{${values.join(',')}}`;
  return `{${values.map(element).join(',')}}`;
}

function element(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return `"${NEEDS_ESCAPE.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return `"${value.toISOString()}"`;
  throw new TypeError(`no array element for a ${typeof value}`);
}
