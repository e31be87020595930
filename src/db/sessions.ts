import type pg from 'pg';

/**
 * Runs `fn` on a pooled connection without the pool's statement timeout (a backstop for requests):
 * indexing a whole table may take longer, and is no runaway.
 */
export async function withoutStatementTimeout<T>(pool: pg.Pool, fn: (session: pg.ClientBase) => Promise<T>): Promise<T> {
  const session = await pool.connect();
  const ignore = () => {};
  session.on('error', ignore);
  let broken = false;
  try {
    await session.query('SET statement_timeout = 0');
    return await fn(session);
  } finally {
    await session.query('RESET statement_timeout').catch(() => (broken = true));
    session.off('error', ignore);
    session.release(broken);
  }
}

/** Runs `fn` in a transaction on `client`: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
