import type { ApiClient } from './api.js';
import type { ServerProcess } from './serverProcess.js';

/** A GraphQL caller over real HTTP against a server process's URL, with a fixed token. */
export function processClient(url: string, token?: string): ApiClient {
  return {
    token,
    async run(query, variables) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      if (body.errors) throw new Error(`GraphQL errors from ${url}: ${JSON.stringify(body.errors)}`);
      return body.data as never;
    },
  };
}

/** The projections this process has logged taking over (`running projection`), in order, from `since` chars of its output. */
export function projectionsTakenOver(server: ServerProcess, since = 0): string[] {
  const names: string[] = [];
  for (const line of server.output().slice(since).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; projection?: string };
      if (entry.msg === 'running projection' && entry.projection) names.push(entry.projection);
    } catch {
      // a partial line still being written
    }
  }
  return names;
}

/** Stops a server process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(server: ServerProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  const outcome = await Promise.race([server.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}
