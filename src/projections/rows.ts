import type pg from 'pg';

/**
 * Writes rows to `table` in one statement: `INSERT ... SELECT FROM jsonb_to_recordset ... ON
 * CONFLICT (key) DO UPDATE`. `columns` maps each column to its SQL type; `rows` use the column
 * names as keys. With `onConflict: 'nothing'` existing rows are kept (append-only tables).
 */
export async function upsertRows(
  tx: pg.ClientBase,
  table: string,
  columns: Record<string, string>,
  key: string[],
  rows: Record<string, unknown>[],
  onConflict: 'update' | 'nothing' = 'update',
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const list = names.map((c) => `"${c}"`).join(', ');
  const recordType = names.map((c) => `"${c}" ${columns[c]}`).join(', ');
  const updates = names.filter((c) => !key.includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ');
  const action = onConflict === 'nothing' || updates === '' ? 'DO NOTHING' : `DO UPDATE SET ${updates}`;
  await tx.query(
    `INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_to_recordset($1::jsonb) AS r(${recordType})
     ON CONFLICT (${key.map((c) => `"${c}"`).join(', ')}) ${action}`,
    [JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))],
  );
}

/** Loads the rows of `table` whose `column` is one of `keys`. */
export async function loadRows<R extends pg.QueryResultRow>(tx: pg.ClientBase, table: string, column: string, keys: string[]): Promise<R[]> {
  if (keys.length === 0) return [];
  const { rows } = await tx.query<R>(`SELECT * FROM ${table} WHERE "${column}" = ANY($1::text[])`, [keys]);
  return rows;
}
