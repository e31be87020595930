import pg from 'pg';
import { connectDatabase } from '../src/db/database.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median, throughput } from './lib/measure.js';

/**
 * Event append: our event store vs raw `pg` (BEGIN / INSERT / COMMIT into an equivalent table,
 * no concurrency control: the ceiling), single-event and 100-event commits, 1 and 16 writers.
 */
export async function runEventAppendBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const oursUrl = await createMigratedDatabase(server, 'bench_ours');
  const rawUrl = await server.createDatabase('bench_raw');
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
      const ceiling: number[] = [];
      for (let run = 0; run < runs; run++) {
        round++;
        // Each writer appends to its own stream with the version it expects, as a command would.
        const versions = new Map<number, number>();
        ours.push(batch * (await throughput(async (w) => {
          const expectedVersion = versions.get(w) ?? 0;
          await store.append({
            streams: [{ streamId: `bench-${round}-${w}`, streamType: 'Bench', expectedVersion,
              events: Array.from({ length: batch }, (_, i) => ({ type: 'ItemAdded', data: { sku: 'SKU-1', quantity: i } })) }],
            metadata: { actor: 'bench' },
          });
          versions.set(w, expectedVersion + batch);
        }, { concurrency, durationMs })));
        ceiling.push(batch * (await throughput(async (w, i) => {
          const client = await raw.connect();
          try {
            await client.query('BEGIN');
            const values: string[] = [];
            const params: unknown[] = [];
            for (let e = 0; e < batch; e++) {
              params.push(`raw-${round}-${w}`, i * batch + e + 1, JSON.stringify({ sku: 'SKU-1', quantity: e }));
              values.push(`($${params.length - 2}, $${params.length - 1}, 'ItemAdded', $${params.length}::jsonb, '{"actor":"bench"}')`);
            }
            await client.query(`INSERT INTO raw_events (stream_id, version, type, data, metadata) VALUES ${values.join(',')}`, params);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }, { concurrency, durationMs })));
      }
      const o = median(ours);
      const c = median(ceiling);
      lines.push(`| append ${batch === 1 ? 'single event' : '100-event batch'}, ${concurrency} writer${concurrency > 1 ? 's' : ''} | ${formatRate(o)} events/s | ${formatRate(c)} events/s | ${(o / c).toFixed(2)}x |`);
      console.log(lines.at(-1));
    }
  }
  await db.close();
  await raw.end();
  await server.close();
  return ['| scenario | ours | raw pg (ceiling) | ours / raw |', '|---|---|---|---|', ...lines];
}
