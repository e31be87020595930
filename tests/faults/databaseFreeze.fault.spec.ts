import { afterEach, describe, expect, it } from 'vitest';
import { command, commandMutation } from '../support/api.js';
import { eventually, processClient } from '../support/liveProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { cleanUp, msSince, printServerLogIfFailed, report, startFaultServer } from './support/faultServer.js';
import { startOwnedPostgres, type OwnedPostgres } from './support/ownedPostgres.js';
import { checkAcknowledged } from './support/verify.js';
import { LOAD_SKUS, prepareLoad, staffToken, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let owned: OwnedPostgres | undefined;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  owned?.thaw();
  await cleanUp(server);
  await owned?.destroy();
  [server, owned] = [undefined, undefined];
});

/** The contract's bound on answering a request that needs a database that does not answer. */
const FAIL_FAST_MS = 3_000;
const FREEZE_MS = 6_000;

type Answer = {
  status: number;
  ms: number;
  code?: string;
  body: { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] };
};

async function post(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(40_000),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, body, ms: msSince(started), code: body.errors?.[0]?.extensions?.code };
}

async function ready(url: string): Promise<{ status: number; ms: number; codes: string[] }> {
  const started = Date.now();
  const response = await fetch(url.replace('/graphql', '/ready'), { signal: AbortSignal.timeout(40_000) });
  const body = (await response.json()) as { failures: { code: string }[] };
  return { status: response.status, ms: msSince(started), codes: body.failures.map((f) => f.code) };
}

describe('PostgreSQL frozen (postmaster and backends stopped with SIGSTOP)', () => {
  it('answers queries and mutations DATABASE_UNAVAILABLE within 3 s and /ready 503, then serves again by itself after SIGCONT', async () => {
    owned = await startOwnedPostgres();
    server = await startFaultServer({ DATABASE_URL: owned.url });
    const url = server.url;
    const token = await staffToken();
    const staff = processClient(url, token);
    const customerId = await prepareLoad(url);
    await command(staff, 'createOrder', { customerId, orderId: 'freeze-1' });
    await command(staff, 'addItem', { orderId: 'freeze-1', sku: LOAD_SKUS[0], quantity: 1 });
    // Warm pooled connections: a frozen server leaves them open, and a statement sent on one hangs.
    await Promise.all(Array.from({ length: 5 }, () => staff.run('{ order(id: "freeze-1") { status } }')));
    const load = startWriteLoad(() => url, customerId, 3);
    await new Promise((r) => setTimeout(r, 1_000));

    owned.freeze();
    const frozenAt = Date.now();
    // The first of each kind is sent at once, before the server can know: the bound holds for it too.
    const probes: { what: string; ms: number; code?: string }[] = [];
    const probe = async () => {
      const [mutation, query, readiness] = await Promise.all([
        post(url, token, commandMutation('createOrder'), { input: { customerId } }),
        post(url, token, '{ order(id: "freeze-1") { status } }'),
        ready(url),
      ]);
      probes.push({ what: 'mutation', ms: mutation.ms, code: mutation.code }, { what: 'query', ms: query.ms, code: query.code });
      probes.push({ what: 'ready', ms: readiness.ms, code: `${readiness.status} ${readiness.codes.join()}` });
    };
    while (msSince(frozenAt) < FREEZE_MS) {
      await probe();
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const p of probes) {
      expect(p.ms, `${p.what} took ${p.ms} ms`).toBeLessThan(FAIL_FAST_MS);
      expect(p.code, p.what).toBe(p.what === 'ready' ? '503 DATABASE_UNAVAILABLE' : 'DATABASE_UNAVAILABLE');
    }

    owned.thaw();
    const thawedAt = Date.now();
    await eventually(
      'a command to succeed after SIGCONT',
      async () => {
        const answer = await post(url, token, commandMutation('submitOrder'), {
          input: { orderId: 'freeze-1', commandId: 'freeze-1-submit' },
        });
        return answer.body.data?.submitOrder?.__typename === 'SubmitOrderSuccess' ? true : undefined;
      },
      15_000,
    );
    const commandRecoveryMs = msSince(thawedAt);
    await eventually('/ready to answer 200', async () => ((await ready(url)).status === 200 ? true : undefined), 15_000);
    const readyRecoveryMs = msSince(thawedAt);
    const read = await post(url, token, '{ order(id: "freeze-1") { status } }');
    expect(read.body.errors).toBeUndefined();

    const loaded = await load.stop();
    expect(loaded.unanswered).toBe(0);
    expect(Object.keys(loaded.errors).filter((code) => code !== 'graphql:DATABASE_UNAVAILABLE')).toEqual([]);
    const durability = await checkAcknowledged(owned.url, loaded.acknowledged);
    expect(durability.lost).toEqual([]);
    expect(server.child.exitCode).toBeNull();

    const slowest = (what: string) => Math.max(...probes.filter((p) => p.what === what).map((p) => p.ms));
    report('PostgreSQL frozen for 6 s', {
      probes: probes.length,
      slowestQueryMs: slowest('query'),
      slowestMutationMs: slowest('mutation'),
      slowestReadyMs: slowest('ready'),
      firstQueryMs: probes.find((p) => p.what === 'query')?.ms,
      firstMutationMs: probes.find((p) => p.what === 'mutation')?.ms,
      commandRecoveryMs,
      readyRecoveryMs,
      loadAcknowledged: loaded.acknowledged.length,
      loadUnavailable: loaded.errors['graphql:DATABASE_UNAVAILABLE'] ?? 0,
    });
  });
});
