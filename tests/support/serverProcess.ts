import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { findFreePort } from '../../src/db/freePort.js';

/** The server running as its own process: `src/main.ts` as `npm start` runs it, or a build's `dist/main.js`. */
export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Every log line so far (JSON lines from pino, plus anything else on stdout/stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Starts the server with `env` on a free port and waits until it logs that it is listening. `cwd`:
 * the checkout to run (default this one), e.g. an older release's; `entry`: what node runs (default
 * the sources through tsx).
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { detached?: boolean; nodeArgs?: string[]; entry?: string[]; cwd?: string } = {},
): Promise<ServerProcess> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.entry ?? ['--import', 'tsx', 'src/main.ts'])], {
    cwd: options.cwd,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'development', ...env },
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  while (!output.includes('Ordersource is listening')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => output, exited };
}

/** POSTs a GraphQL query and returns the JSON body. */
export async function postQuery(url: string, query: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}
