import { afterEach, describe, expect, it } from 'vitest';
import { command } from '../support/api.js';
import type { ServerProcess } from '../support/serverProcess.js';
import type { Subscription } from '../support/wsClient.js';
import { cleanUp, msSince, printServerLogIfFailed, report, startOnOwnedPostgres } from './support/faultServer.js';
import type { OwnedPostgres } from './support/ownedPostgres.js';
import { post, probeCommand, probeRead, ready, submitOnceServing, watchOrder, type Probe } from './support/probes.js';
import { checkAcknowledged } from './support/verify.js';
import { LOAD_SKUS, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let owned: OwnedPostgres | undefined;
const subscriptions: Subscription<any>[] = [];
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  await Promise.all(subscriptions.splice(0).map((s) => s.close()));
  owned?.thaw();
  await cleanUp(server);
  await owned?.destroy();
  [server, owned] = [undefined, undefined];
});

const FREEZE_MS = 6_000;
/** The server's defaults: a heartbeat every 500 ms, the gate closed when one goes 1,500 ms unanswered. */
const GATE_CLOSES_WITHIN_MS = 2_000;
/** A freeze live subscriptions outlast (the server ends them after 10 s of an unanswering database). */
const SHORT_FREEZE_MS = 2_500;

const codesOf = (subscription: Subscription<any>): string[] =>
  subscription.errors.flat().map((e: any) => e?.extensions?.code ?? e?.[0]?.extensions?.code ?? String(e));

describe('PostgreSQL frozen (postmaster and backends stopped with SIGSTOP)', () => {
  it('answers queries and mutations DATABASE_UNAVAILABLE without waiting for the database, and /ready 503, then serves again by itself after SIGCONT', async () => {
    const run = await startOnOwnedPostgres();
    ({ owned, server } = run);
    const { url, token, staff, customerId } = run;
    await command(staff, 'createOrder', { customerId, orderId: 'freeze-1' });
    const added = await command(staff, 'addItem', { orderId: 'freeze-1', sku: LOAD_SKUS[0], quantity: 1 });
    // Warm pooled connections: a frozen server leaves them open, and a statement sent on one hangs.
    // Read as of the last write, so the subscription below finds the order (a loaded CI run
    // subscribed before the orders projection had applied it, and got NOT_FOUND).
    await Promise.all(
      Array.from({ length: 5 }, () => staff.run(`{ order(id: "freeze-1", consistentWith: "${added.position}") { status } }`)),
    );
    const { status, feed } = watchOrder(url, token, 'freeze-1');
    subscriptions.push(status, feed);
    await status.waitFor(1);
    const load = startWriteLoad(() => url, customerId, 3);
    await new Promise((r) => setTimeout(r, 1_000));

    owned.freeze();
    const frozenAt = Date.now();
    // The first of each kind is sent at once, before the server can know: the bound holds for it too.
    const probes: (Probe & { sentAtMs: number })[] = [];
    const probe = async () => {
      const sentAtMs = msSince(frozenAt);
      const [mutation, query, readiness] = await Promise.all([
        probeCommand(url, token, customerId),
        probeRead(url, token, 'freeze-1'),
        ready(url),
      ]);
      const readinessProbe = { what: 'ready', ms: readiness.ms, code: `${readiness.status} ${readiness.codes.join()}` };
      probes.push(...[mutation, query, readinessProbe].map((p) => ({ ...p, sentAtMs })));
    };
    while (msSince(frozenAt) < FREEZE_MS) {
      await probe();
      await new Promise((r) => setTimeout(r, 200));
    }
    // How fast they failed is logged, not judged (a loaded machine stretches any bound); that they
    // failed with DATABASE_UNAVAILABLE is the behaviour: a request that waited on the frozen
    // database would have been answered by it, once back.
    console.info(`[fault] freeze: slowest probe ${Math.max(...probes.map((p) => p.ms))} ms of ${probes.length}`);
    for (const p of probes) {
      // Until its heartbeat goes unanswered the server cannot know of the freeze, and the order it
      // read a moment ago may be answered from memory (nothing can have changed it: no write commits).
      const fromMemory = p.what === 'query' && p.code === undefined && p.sentAtMs < GATE_CLOSES_WITHIN_MS;
      if (!fromMemory) expect(p.code, p.what).toBe(p.what === 'ready' ? '503 DATABASE_UNAVAILABLE' : 'DATABASE_UNAVAILABLE');
    }
    expect(probes.filter((p) => p.what === 'query' && p.code === 'DATABASE_UNAVAILABLE').length).toBeGreaterThan(0);

    // Frozen for long, live subscriptions end with a code that says why (and a client resubscribes later).
    await Promise.all([status.waitForError(20_000), feed.waitForError(20_000)]);
    const subscriptionsEndedMs = msSince(frozenAt);
    expect(codesOf(status)).toEqual(['DATABASE_UNAVAILABLE']);
    expect(codesOf(feed)).toEqual(['DATABASE_UNAVAILABLE']);

    owned.thaw();
    const thawedAt = Date.now();
    await submitOnceServing(url, token, 'freeze-1', 'a command to succeed after SIGCONT', 15_000);
    const commandRecoveryMs = msSince(thawedAt);
    await expect.poll(async () => (await ready(url)).status === 200, { timeout: 15_000, message: '/ready to answer 200' }).toBe(true);
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
    report('PostgreSQL frozen for 6 s (then on until subscriptions ended)', {
      probes: probes.length,
      subscriptionsEndedMs,
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

  it('keeps live subscriptions through a short freeze: after SIGCONT they push every change, those made around the freeze included', async () => {
    const run = await startOnOwnedPostgres();
    ({ owned, server } = run);
    const { url, token, staff, customerId } = run;
    const created = await command(staff, 'createOrder', { customerId, orderId: 'short-freeze-1' });
    await staff.run(`{ order(id: "short-freeze-1", consistentWith: "${created.position}") { status } }`);
    const { status, feed } = watchOrder(url, token, 'short-freeze-1');
    subscriptions.push(status, feed);
    await status.waitFor(1);
    // Warm pooled connections: a frozen server leaves them open, and a statement sent on one hangs.
    await Promise.all(Array.from({ length: 5 }, () => staff.run('{ order(id: "short-freeze-1") { status } }')));

    // Committed right before the freeze: its push may be read while the database is frozen.
    const added = await command(staff, 'addItem', { orderId: 'short-freeze-1', sku: LOAD_SKUS[0], quantity: 1 });
    expect(added.__typename).toBe('AddItemSuccess');
    owned.freeze();
    await new Promise((r) => setTimeout(r, SHORT_FREEZE_MS));
    owned.thaw();
    const thawedAt = Date.now();

    const submitted = await submitOnceServing(url, token, 'short-freeze-1', 'a command to succeed after SIGCONT', 15_000);
    const commandRecoveryMs = msSince(thawedAt);
    await expect
      .poll(() => status.received.some((c) => c.status === 'SUBMITTED'), {
        timeout: 15_000,
        message: 'the status subscription to push SUBMITTED',
      })
      .toBe(true);
    await expect
      .poll(() => feed.received.some((c) => c.orderId === 'short-freeze-1' && c.type === 'OrderSubmitted'), {
        timeout: 15_000,
        message: 'the feed to push OrderSubmitted',
      })
      .toBe(true);
    const pushRecoveryMs = msSince(thawedAt);

    expect(status.errors).toEqual([]);
    expect(feed.errors).toEqual([]);
    expect(status.received.map((c) => c.status)).toEqual(['DRAFT', 'SUBMITTED']);
    // Nothing missed, nothing twice, in position order: the change before the freeze, then the one after.
    const ours = feed.received.filter((c) => c.orderId === 'short-freeze-1');
    expect(ours.map((c) => c.type)).toEqual(['ItemAdded', 'OrderSubmitted']);
    const submittedAt = submitted.events.find((e: { type: string }) => e.type === 'OrderSubmitted').position;
    expect(ours.map((c) => c.position)).toEqual([added.position, submittedAt]);
    expect(server.child.exitCode).toBeNull();
    report(`PostgreSQL frozen for ${SHORT_FREEZE_MS / 1000} s with live subscriptions`, { commandRecoveryMs, pushRecoveryMs });
  });
});
