import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { postQuery, startServerProcess } from './support/serverProcess.js';

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Milliseconds from spawning the server to its first answer to `{ __typename }`. */
async function timeToFirstAnswer(start: () => ReturnType<typeof startServerProcess>) {
  const started = performance.now();
  const server = await start();
  const answer = await postQuery(server.url, '{ __typename headPosition }');
  const elapsed = performance.now() - started;
  server.child.kill('SIGTERM');
  return { answer, elapsed, exitCode: await server.exited, output: server.output() };
}

// A production install as the README and the Dockerfile make it, in a scratch folder: the compiled
// server, the migrations and the built dashboard beside a node_modules that `npm prune
// --omit=dev` has emptied of every development dependency (tsx is a runtime dependency only for
// `npm start`; the compiled server must not need it, nor typescript, vite or vitest).
describe('the compiled server (npm run build) after npm prune --omit=dev', () => {
  const repoRoot = process.cwd();
  let appDir: string;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    appDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-build-'));
    // Compiled with the build's own tsconfig into the scratch folder's dist/ (not the worktree's).
    run(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(appDir, 'dist')],
      repoRoot,
    );
    // Hard links: a full copy of node_modules in a second or two, and pruning the copy leaves the original alone.
    run('cp', ['-al', 'node_modules', appDir], repoRoot);
    for (const item of ['package.json', 'package-lock.json', 'prisma'])
      await cp(path.join(repoRoot, item), path.join(appDir, item), { recursive: true });
    if (existsSync(path.join(repoRoot, 'dashboard/dist')))
      await cp(path.join(repoRoot, 'dashboard/dist'), path.join(appDir, 'dashboard/dist'), { recursive: true });
    run('npm', ['prune', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], appDir);
  }, 300_000);
  afterAll(async () => {
    await rm(appDir, { recursive: true, force: true });
    await database.drop();
  });

  it('should keep no development dependency in the pruned install', () => {
    expect(existsSync(path.join(appDir, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(path.join(appDir, 'node_modules/vite'))).toBe(false);
    expect(existsSync(path.join(appDir, 'dist/main.js.map'))).toBe(true);
  });

  it('should answer a query from node dist/main.js, its migrations checked at start, and stop cleanly', async () => {
    const env = {
      DATABASE_URL: database.connectionString,
      NODE_ENV: 'production',
      JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
      DATA_KEY_SECRET: 'a-test-data-key-secret-of-at-least-32-chars',
    };
    const dist = await timeToFirstAnswer(() => startServerProcess(env, { entry: ['--enable-source-maps', 'dist/main.js'], cwd: appDir }));
    expect(dist.answer).toEqual({ data: { __typename: 'Query', headPosition: '0' } });
    expect(dist.exitCode).toBe(0);

    // The same start through tsx (`npm start`), for the start-up comparison printed below.
    const tsx = await timeToFirstAnswer(() => startServerProcess(env));
    expect(tsx.answer.data).toEqual({ __typename: 'Query', headPosition: '0' });
    console.info(`start-up to first answer: node dist/main.js ${dist.elapsed.toFixed(0)} ms, tsx src/main.ts ${tsx.elapsed.toFixed(0)} ms`);
  }, 120_000);
});
