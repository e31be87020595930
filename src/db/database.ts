import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

/** One pool shared by Prisma (through `@prisma/adapter-pg`) and the few raw `pg` calls. */
export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  connectionString: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  poolSize?: number;
  /** Called for errors on idle pooled connections (for example when the server restarts). */
  onError?: (error: Error) => void;
}

/** Opens the pool and the Prisma client for one PostgreSQL database. */
export function connectDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 20,
    // Fail fast rather than queue forever when the database is gone.
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', (error) => options.onError?.(error));
  const adapter = new PrismaPg(pool, { onPoolError: options.onError });
  const prisma = new PrismaClient({ adapter });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    pool,
    connectionString,
    close() {
      closed ??= prisma.$disconnect().then(() => pool.end());
      return closed;
    },
  };
}
