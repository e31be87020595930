import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { connectDatabase } from '../src/db/database.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median, throughput } from './lib/measure.js';

/** int8, json, jsonb: the types whose parsing Emmett's driver changes for the whole process. */
const TYPE_OIDS = [20, 114, 3802];
const defaultParsers = TYPE_OIDS.map((oid) => pg.types.getTypeParser(oid));

/**
 * Event append: our event store vs Emmett's PostgreSQL event store (the peer, in its own database
 * on the same server, with a `pg` pool of the same size as ours) vs raw `pg` (BEGIN / INSERT /
 * COMMIT into an equivalent table, no concurrency control: the ceiling), single-event and
 * 100-event commits, 1 and 16 writers. Every writer appends to its own stream with the version it
 * expects, as a command does.
 */
export async function runEventAppendBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const oursUrl = await createMigratedDatabase(server, 'bench_ours');
  const rawUrl = await server.createDatabase('bench_raw');
  const emmettUrl = await server.createDatabase('bench_emmett');
  const emmettPool = new pg.Pool({ connectionString: emmettUrl, max: 16 });
  emmettPool.on('error', () => {});
  const emmett = getPostgreSQLEventStore(emmettUrl, { connectionOptions: { pooled: true, pool: emmettPool } });
  await emmett.schema.migrate();
  // Emmett's driver (dumbo) sets process-wide `pg` type parsers (int8 as BigInt, its own JSON
  // parsing), which Prisma's adapter and our reads do not expect. Keep them only while Emmett runs.
  const emmettParsers = TYPE_OIDS.map((oid) => pg.types.getTypeParser(oid));
  TYPE_OIDS.forEach((oid, i) => pg.types.setTypeParser(oid, defaultParsers[i]!));
  const db = connectDatabase(oursUrl, { poolSize: 16 });
  const store = new EventStore(db);
  const raw = new pg.Pool({ connectionString: rawUrl, max: 16 });
  raw.on('error', () => {}); // idle connections are cut when the benchmark's server stops
  await raw.query(`CREATE TABLE raw_events (position bigserial PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL,
    type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, version))`);

  const lines: string[] = [];
  let round = 0;
  for (const batch of [1, 100]) {
    for (const concurrency of [1, 16]) {
      const ours: number[] = [];
      const peer: number[] = [];
      const ceiling: number[] = [];
      for (let run = 0; run < runs; run++) {
        round++;
        // Each writer appends to its own stream with the version it expects, as a command would.
        const versions = new Map<number, number>();
        ours.push(
          batch *
            (await throughput(
              async (w) => {
                const expectedVersion = versions.get(w) ?? 0;
                await store.append({
                  streams: [
                    {
                      streamId: `bench-${round}-${w}`,
                      streamType: 'Bench',
                      expectedVersion,
                      events: Array.from({ length: batch }, (_, i) => ({ type: 'ItemAdded', data: { sku: 'SKU-1', quantity: i } })),
                    },
                  ],
                  metadata: { actor: 'bench' },
                });
                versions.set(w, expectedVersion + batch);
              },
              { concurrency, durationMs },
            )),
        );
        const emmettVersions = new Map<number, bigint>();
        TYPE_OIDS.forEach((oid, i) => pg.types.setTypeParser(oid, emmettParsers[i]!));
        peer.push(
          batch *
            (await throughput(
              async (w) => {
                const expectedStreamVersion = emmettVersions.get(w) ?? 0n;
                const result = await emmett.appendToStream(
                  `bench-${round}-${w}`,
                  Array.from({ length: batch }, (_, i) => ({
                    type: 'ItemAdded',
                    data: { sku: 'SKU-1', quantity: i },
                    metadata: { actor: 'bench' },
                  })),
                  { expectedStreamVersion: expectedStreamVersion === 0n ? STREAM_DOES_NOT_EXIST : expectedStreamVersion },
                );
                emmettVersions.set(w, result.nextExpectedStreamVersion);
              },
              { concurrency, durationMs },
            )),
        );
        TYPE_OIDS.forEach((oid, i) => pg.types.setTypeParser(oid, defaultParsers[i]!));
        ceiling.push(
          batch *
            (await throughput(
              async (w, i) => {
                const client = await raw.connect();
                try {
                  await client.query('BEGIN');
                  const values: string[] = [];
                  const params: unknown[] = [];
                  for (let e = 0; e < batch; e++) {
                    params.push(`raw-${round}-${w}`, i * batch + e + 1, JSON.stringify({ sku: 'SKU-1', quantity: e }));
                    values.push(
                      `($${params.length - 2}, $${params.length - 1}, 'ItemAdded', $${params.length}::jsonb, '{"actor":"bench"}')`,
                    );
                  }
                  await client.query(
                    `INSERT INTO raw_events (stream_id, version, type, data, metadata) VALUES ${values.join(',')}`,
                    params,
                  );
                  await client.query('COMMIT');
                } finally {
                  client.release();
                }
              },
              { concurrency, durationMs },
            )),
        );
      }
      const [o, e, c] = [median(ours), median(peer), median(ceiling)];
      const goal = o / e >= 1 && o / c >= 0.5 ? 'met' : 'missed';
      lines.push(
        `| append ${batch === 1 ? 'single event' : '100-event batch'}, ${concurrency} writer${concurrency > 1 ? 's' : ''} | ${formatRate(o)} events/s | ${formatRate(e)} events/s | ${formatRate(c)} events/s | ${(o / e).toFixed(2)}x | ${(o / c).toFixed(2)}x | ${goal} |`,
      );
      console.log(lines.at(-1));
    }
  }
  await db.close();
  await raw.end();
  await emmett.close();
  await emmettPool.end().catch(() => {});
  await server.close();
  return [
    '| scenario | ours | Emmett | raw pg (ceiling) | ours / Emmett | ours / raw | goal (>= 1.0x Emmett, >= 0.5x raw) |',
    '|---|---|---|---|---|---|---|',
    ...lines,
  ];
}
