import { expect, vi } from 'vitest';
import pg from 'pg';
import { ORDER_FIELDS } from '../../support/api.js';
import type { Acknowledged } from './writeLoad.js';
import { staffToken } from './writeLoad.js';

/** What the database holds of the acknowledged commands. */
export interface DurabilityCheck {
  acknowledged: number;
  /** Acknowledged commands whose every event sits at its answered position, with its commandId. */
  found: number;
  /** The others, with the first thing that was wrong: must be empty. */
  lost: { commandId: string; name: string; problem: string }[];
  /** Commands recorded in `command_results` (acknowledged and some that were in flight). */
  recordedCommands: number;
}

/**
 * Checks every acknowledged command against the event log: each event it answered with must be at
 * that position, of that type and stream version, carrying the command's id, and the command's
 * outcome must be recorded for idempotent retries.
 */
export async function checkAcknowledged(connectionString: string, acknowledged: Acknowledged[]): Promise<DurabilityCheck> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ position: string; type: string; version: number; command_id: string | null }>(
      `SELECT position::text, type, version, metadata->>'commandId' AS command_id FROM events WHERE position = ANY($1::bigint[])`,
      [acknowledged.flatMap((a) => a.events.map((e) => e.position.toString()))],
    );
    const byPosition = new Map(rows.map((r) => [BigInt(r.position), r]));
    const results = await client.query<{ command_id: string }>('SELECT command_id FROM command_results WHERE command_id = ANY($1)', [
      acknowledged.map((a) => a.commandId),
    ]);
    const recorded = new Set(results.rows.map((r) => r.command_id));
    const lost: DurabilityCheck['lost'] = [];
    for (const ack of acknowledged) {
      const problem =
        ack.events
          .map((e) => {
            const row = byPosition.get(e.position);
            if (!row) return `no event at position ${e.position}`;
            if (row.type !== e.type || row.version !== e.version)
              return `position ${e.position} holds ${row.type} v${row.version}, not ${e.type} v${e.version}`;
            if (row.command_id !== ack.commandId) return `position ${e.position} carries command ${row.command_id}`;
            return undefined;
          })
          .find(Boolean) ?? (recorded.has(ack.commandId) ? undefined : 'its outcome is not in command_results');
      if (problem) lost.push({ commandId: ack.commandId, name: ack.name, problem });
    }
    const total = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM command_results');
    return {
      acknowledged: acknowledged.length,
      found: acknowledged.length - lost.length,
      lost,
      recordedCommands: Number(total.rows[0]!.n),
    };
  } finally {
    await client.end();
  }
}

type Json = Record<string, any>;

async function staffQuery(url: string, query: string, variables?: Json): Promise<Json> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await staffToken()}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await response.json()) as { data?: Json; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

/** How the read side compares with the log once it has caught up. */
export interface ConvergenceCheck {
  head: bigint;
  /** How long the projections took to reach the head after the check began. */
  catchUpMs: number;
  ordersCompared: number;
  /** Orders whose read model differs from the fold of their events: must be empty. */
  mismatches: { orderId: string; read: unknown; folded: unknown }[];
  /** Products whose read row did not apply the newest event of their stream: must be empty. */
  staleProducts: string[];
}

/**
 * Waits until every projection is RUNNING at the log's head, then compares each order's read
 * model (`order`) with the fold of its events (`orderAt`, which replays the stream), and each
 * product's inventory row with the last event of its stream.
 */
export async function checkReadModelsConverge(url: string, connectionString: string, timeoutMs = 60_000): Promise<ConvergenceCheck> {
  const started = Date.now();
  const head = BigInt((await staffQuery(url, '{ headPosition }')).headPosition as string);
  await vi.waitFor(
    async () => {
      const { projections } = await staffQuery(url, '{ projections { name position status lastError } }');
      const behind = (projections as Json[]).filter((p) => p.status !== 'RUNNING' || BigInt(p.position) < head);
      if (behind.some((p) => p.status === 'FAILED')) throw new Error(`a projection failed: ${JSON.stringify(behind)}`);
      expect(behind, 'every projection RUNNING at the head').toEqual([]);
    },
    { timeout: timeoutMs },
  );
  const catchUpMs = Date.now() - started;

  const client = new pg.Client({ connectionString });
  await client.connect();
  let orderIds: string[];
  let staleProducts: string[];
  try {
    orderIds = (
      await client.query<{ id: string }>(`SELECT DISTINCT substr(stream_id, 7) AS id FROM events WHERE stream_type = 'Order'`)
    ).rows.map((r) => r.id);
    staleProducts = (
      await client.query<{ sku: string }>(
        `SELECT e.sku FROM (SELECT substr(stream_id, 9) AS sku, max(position) AS last FROM events WHERE stream_type = 'Product' GROUP BY stream_id) e
         LEFT JOIN inventory i ON i.sku = e.sku WHERE i.last_position IS DISTINCT FROM e.last`,
      )
    ).rows.map((r) => r.sku);
  } finally {
    await client.end();
  }

  const mismatches: ConvergenceCheck['mismatches'] = [];
  const fields = ORDER_FIELDS.replace(/ updatedAt/, '');
  // Two aliased fields per order, within the server's alias limit.
  for (let i = 0; i < orderIds.length; i += 12) {
    const chunk = orderIds.slice(i, i + 12);
    const query = `{ ${chunk.map((id, j) => `r${j}: order(id: ${JSON.stringify(id)}) { ${fields} } f${j}: orderAt(id: ${JSON.stringify(id)}) { ${fields} }`).join(' ')} }`;
    const data = await staffQuery(url, query);
    chunk.forEach((orderId, j) => {
      if (JSON.stringify(data[`r${j}`]) !== JSON.stringify(data[`f${j}`]))
        mismatches.push({ orderId, read: data[`r${j}`], folded: data[`f${j}`] });
    });
  }
  return { head, catchUpMs, ordersCompared: orderIds.length, mismatches, staleProducts };
}
