import type pg from 'pg';
import { customerKeyOwner } from './dataKeys.js';
import { customerStreamId } from './customerDecider.js';

/** A claim stream named by a keyed hash; any other `CustomerEmail-` stream was named by the address itself. */
const HASHED_CLAIM_STREAM = '^CustomerEmail-[0-9a-f]{64}$';

/** What a forgotten customer's previous-release email claim stream is renamed to: it names no address. */
const erasedClaimStreamId = (customerId: string): string => `CustomerEmail-erased-${customerId}`;

/**
 * Erases every copy of a forgotten customer's personal data that the customers feature keeps
 * outside the read models, in one transaction; safe to run again (the second run finds nothing):
 *
 * - deletes their data key, so the personal data sealed in their events can never be opened again;
 * - rewrites in place the previous release's plain-text `CustomerRegistered` (v1) events, name and
 *   email set to null: the one sanctioned change of the append-only log;
 * - renames the previous release's email claim stream, whose id is the address itself;
 * - drops the snapshots of their streams;
 * - strips the stored answers of their registration (what a repeat would be answered with) down to
 *   the ids: no entity, no claim stream named by the address, and no input fingerprint (a hash of
 *   name and email), so a repeat of that registration is now refused as a reused command id.
 *
 * Read models null their own copies when they see `CustomerForgotten`; in-memory states are
 * replaced by the forgotten state when the command that forgets answers.
 */
export async function eraseCustomer(pool: pg.Pool, customerId: string): Promise<void> {
  const customerStream = customerStreamId(customerId);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM data_keys WHERE owner = $1', [customerKeyOwner(customerId)]);
    await client.query(
      `UPDATE events SET data = jsonb_build_object('customerId', data->'customerId', 'name', null, 'email', null)
       WHERE stream_id = $1 AND type = 'CustomerRegistered' AND schema_version = 1 AND (data->>'name' IS NOT NULL OR data->>'email' IS NOT NULL)`,
      [customerStream],
    );
    const { rows: legacyClaims } = await client.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM events
       WHERE stream_type = 'CustomerEmail' AND type = 'CustomerEmailClaimed' AND data->>'customerId' = $1 AND stream_id !~ $2`,
      [customerId, HASHED_CLAIM_STREAM],
    );
    const erasedClaim = erasedClaimStreamId(customerId);
    for (const { stream_id: legacy } of legacyClaims) {
      await client.query('UPDATE events SET stream_id = $2 WHERE stream_id = $1', [legacy, erasedClaim]);
      await client.query(
        `UPDATE command_results SET result = replace(result::text, to_jsonb($1::text)::text, to_jsonb($2::text)::text)::jsonb
         WHERE strpos(result::text, to_jsonb($1::text)::text) > 0`,
        [legacy, erasedClaim],
      );
    }
    await client.query('DELETE FROM snapshots WHERE stream_id = ANY($1::text[])', [
      [customerStream, ...legacyClaims.map((c) => c.stream_id)],
    ]);
    await client.query(
      `UPDATE command_results r SET input_hash = 'erased', result = jsonb_set(r.result, '{result}', jsonb_build_object('aggregateId', r.result->'result'->'aggregateId'))
       FROM (SELECT metadata->>'actor' AS actor, metadata->>'commandId' AS command_id FROM events WHERE stream_id = $1 AND type = 'CustomerRegistered') registration
       WHERE r.command_id = registration.command_id AND r.caller IN (registration.actor, '') AND r.input_hash <> 'erased'`,
      [customerStream],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Completes erasures a crash interrupted between `CustomerForgotten` and its erasure: any forgotten
 * customer who still has a key, a plain-text registration or a claim stream named by the address.
 */
export async function completeInterruptedErasures(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ customer_id: string }>(
    `SELECT f.data->>'customerId' AS customer_id FROM events f
     WHERE f.stream_type = 'Customer' AND f.type = 'CustomerForgotten' AND (
       EXISTS (SELECT 1 FROM data_keys k WHERE k.owner = 'customer:' || (f.data->>'customerId'))
       OR EXISTS (SELECT 1 FROM events r WHERE r.stream_id = f.stream_id AND r.type = 'CustomerRegistered' AND r.schema_version = 1 AND r.data->>'email' IS NOT NULL)
       OR EXISTS (SELECT 1 FROM events c WHERE c.stream_type = 'CustomerEmail' AND c.type = 'CustomerEmailClaimed'
                  AND c.data->>'customerId' = f.data->>'customerId' AND c.stream_id !~ $1))`,
    [HASHED_CLAIM_STREAM],
  );
  for (const { customer_id } of rows) await eraseCustomer(pool, customer_id);
  return rows.map((r) => r.customer_id);
}
