import os from 'node:os';
import { runEventAppendBench } from './eventAppend.bench.js';
import { runFanoutBench } from './fanout.bench.js';
import { runMutationBench } from './mutation.bench.js';
import { runProjectionBench } from './projection.bench.js';
import { benchOptions } from './lib/measure.js';

// `npm run bench [-- --quick]`: every scenario against its baseline in the same run; prints a
// Markdown table of medians and ratios to paste into bench/RESULTS.md.
const { quick, runs, durationMs } = benchOptions();
const header = [
  `Run ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}` +
    `${quick ? ' (quick)' : ''}; median of ${runs} runs of ${durationMs / 1000} s each.`,
  '',
];
const only = process.argv.slice(2).find((a) => !a.startsWith('--'));
const scenarios: [string, () => Promise<string[]>][] = [
  ['append', runEventAppendBench],
  ['mutation', runMutationBench],
  ['projection', runProjectionBench],
  ['fanout', runFanoutBench],
];
const sections: string[] = [];
for (const [name, run] of scenarios) {
  if (only && only !== name) continue;
  console.log(`\n== ${name}`);
  sections.push('', ...(await run()));
}
console.log(['', ...header, ...sections].join('\n'));
