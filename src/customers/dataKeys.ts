import type pg from 'pg';
import type { Database } from '../db/database.js';
import { deriveMasterKey, newDataKey, unwrapDataKey, wrapDataKey } from './personalDataCipher.js';

/** The owner of the key behind the keyed hashes of email claims. */
const EMAIL_CLAIMS_OWNER = 'email-claims';

export const customerKeyOwner = (customerId: string): string => `customer:${customerId}`;

/** The server started with another DATA_KEY_SECRET than the one the stored data keys were wrapped with. */
export class DataKeySecretMismatchError extends Error {
  constructor(storedKeys: number) {
    super(
      `DATA_KEY_SECRET does not match the secret that wrapped ${storedKeys} stored data key(s): start with the secret this database was written with ` +
        '(or rotate the keys to the new secret first, see README "Forgetting a customer")',
    );
  }
}

/**
 * Customers' data keys in `data_keys`, wrapped by the master key from DATA_KEY_SECRET. Keys are read
 * from the table each time (not cached in memory), so a key deleted by any process is gone for all.
 */
export class DataKeyStore {
  private readonly master: { key: Buffer; id: string };
  private emailClaims?: Promise<Buffer>;

  constructor(
    private readonly pool: pg.Pool,
    secret: string,
  ) {
    this.master = deriveMasterKey(secret);
  }

  /** Refuses to start on another master key than the stored keys were wrapped with (never silent garbage). */
  async verifyMasterKey(): Promise<void> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM data_keys WHERE master_key_id <> $1', [
      this.master.id,
    ]);
    if (rows[0]!.n > 0) throw new DataKeySecretMismatchError(rows[0]!.n);
    await this.emailClaimKey();
  }

  /** A new data key for a customer who does not have one yet (a repeat keeps the first). */
  async createCustomerKey(customerId: string): Promise<Buffer> {
    return this.createOrRead(customerKeyOwner(customerId));
  }

  /** The data keys of these customers that still exist (a forgotten customer has none). */
  async customerKeys(customerIds: readonly string[]): Promise<Map<string, Buffer>> {
    const owners = [...new Set(customerIds)].map(customerKeyOwner);
    const { rows } = await this.pool.query<{ owner: string; wrapped_key: string }>(
      'SELECT owner, wrapped_key FROM data_keys WHERE owner = ANY($1::text[])',
      [owners],
    );
    return new Map(rows.map((row) => [row.owner.slice('customer:'.length), unwrapDataKey(this.master.key, row.wrapped_key, row.owner)]));
  }

  /** The key of the email claims' keyed hash: made once per database, kept for good (it holds no one's data). */
  emailClaimKey(): Promise<Buffer> {
    this.emailClaims ??= this.createOrRead(EMAIL_CLAIMS_OWNER).catch((error: unknown) => {
      this.emailClaims = undefined;
      throw error;
    });
    return this.emailClaims;
  }

  /** Rewraps every key wrapped by `previousSecret` with this store's master key, in one transaction; returns how many. */
  async rewrapFrom(previousSecret: string): Promise<number> {
    const previous = deriveMasterKey(previousSecret);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ owner: string; wrapped_key: string }>(
        'SELECT owner, wrapped_key FROM data_keys WHERE master_key_id = $1 FOR UPDATE',
        [previous.id],
      );
      for (const row of rows) {
        const wrapped = wrapDataKey(this.master.key, unwrapDataKey(previous.key, row.wrapped_key, row.owner), row.owner);
        await client.query('UPDATE data_keys SET wrapped_key = $2, master_key_id = $3 WHERE owner = $1', [
          row.owner,
          wrapped,
          this.master.id,
        ]);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  private async createOrRead(owner: string): Promise<Buffer> {
    const wrapped = wrapDataKey(this.master.key, newDataKey(), owner);
    // Two creators racing: the first row stays and both use it.
    const { rows } = await this.pool.query<{ wrapped_key: string; master_key_id: string }>(
      `WITH inserted AS (
         INSERT INTO data_keys (owner, wrapped_key, master_key_id) VALUES ($1, $2, $3) ON CONFLICT (owner) DO NOTHING RETURNING wrapped_key, master_key_id
       )
       SELECT wrapped_key, master_key_id FROM inserted UNION ALL SELECT wrapped_key, master_key_id FROM data_keys WHERE owner = $1 LIMIT 1`,
      [owner, wrapped, this.master.id],
    );
    const row = rows[0]!;
    if (row.master_key_id !== this.master.id) throw new DataKeySecretMismatchError(1);
    return unwrapDataKey(this.master.key, row.wrapped_key, owner);
  }
}

const stores = new WeakMap<Database, DataKeyStore>();

/** The key store of a service's database (one per database, shared by its commands and its read path). */
export function dataKeysOf(db: Database, secret: string): DataKeyStore {
  let store = stores.get(db);
  if (!store) stores.set(db, (store = new DataKeyStore(db.pool, secret)));
  return store;
}
