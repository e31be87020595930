import type pg from 'pg';

/**
 * Drops every index of the tables in `schema` (primary keys and unique constraints included),
 * returning, by table, the statements that make them again under the same names.
 */
export async function dropIndexes(client: pg.ClientBase, schema: string): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ table: string; drop: string; create: string }>(
    `SELECT t.relname AS table,
            CASE WHEN c.conname IS NULL THEN format('DROP INDEX %I.%I', n.nspname, ic.relname)
                 ELSE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, t.relname, c.conname) END AS drop,
            CASE WHEN c.conname IS NULL THEN pg_get_indexdef(i.indexrelid)
                 ELSE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid)) END AS create
     FROM pg_index i
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
     WHERE n.nspname = $1
     ORDER BY c.conname IS NULL, ic.relname`,
    [schema],
  );
  const byTable = new Map<string, string[]>();
  for (const { table, drop, create } of rows) {
    await client.query(drop);
    byTable.set(table, [...(byTable.get(table) ?? []), create]);
  }
  return byTable;
}
