import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

// `npm run build`: what production runs, made from a full install. The Prisma client is generated
// (into src/, so the compiler takes it along), the dashboard is built into dashboard/dist (its
// codegen also writes the trusted-documents manifest), and the server is compiled into dist/ with
// source maps by tsc. dist/ mirrors src/, so every path a module finds relative to its own file
// (prisma/migrations, dashboard/dist) resolves the same from dist/ as from src/.

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
process.chdir(repoRoot);
const started = performance.now();

function run(step: string, command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`build: ${step} failed`);
    process.exit(result.status ?? 1);
  }
}

// A file removed from src/ must not live on in dist/.
rmSync('dist', { recursive: true, force: true });
run('prisma generate', process.execPath, ['--import', 'tsx', 'scripts/prisma-generate.ts']);
run('the dashboard', process.execPath, ['--import', 'tsx', 'dashboard/build.ts']);
run('tsc', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
console.log(`build: dist/main.js ready in ${((performance.now() - started) / 1000).toFixed(1)} s (run it with \`node dist/main.js\`)`);
