import { randomUUID } from 'node:crypto';
import { signAccessToken } from '../../../src/auth/tokens.js';
import { commandMutation } from '../../support/api.js';

/** The JWT secret every fault-run server is started with, so the load can sign its own tokens. */
export const FAULT_JWT_SECRET = 'fault-run-secret-fault-run-secret-0123456789';

/** A command the server answered with success: its events are promised to be durable. */
export interface Acknowledged {
  commandId: string;
  name: string;
  aggregateId: string;
  position: bigint;
  events: { type: string; version: number; position: bigint }[];
}

/** How the load went: every outcome, by kind. */
export interface LoadReport {
  acknowledged: Acknowledged[];
  /** Commands sent whose answer never came (connection refused or cut, timeout). */
  unanswered: number;
  /** Typed rejections and GraphQL errors, by code (none are expected from a healthy server). */
  errors: Record<string, number>;
  elapsedMs: number;
}

export interface WriteLoad {
  /** Acknowledged commands so far. */
  readonly acknowledgedCount: number;
  /** Errors so far, by code (a live view of the report's). */
  readonly errors: Readonly<Record<string, number>>;
  /** Requests sent and not yet answered, right now. */
  inFlightNow(): number;
  /** The commandIds of those requests. */
  inFlightCommandIds(): string[];
  /** The ids of the orders created so far (a live list, oldest first). */
  readonly createdOrderIds: readonly string[];
  /** Stops the clients after their current request and reports. */
  stop(): Promise<LoadReport>;
}

export const LOAD_SKUS = ['FAULT-A', 'FAULT-B', 'FAULT-C', 'FAULT-D'];

export async function staffToken(sub = 'fault-staff'): Promise<string> {
  return signAccessToken({ sub, role: 'staff' }, { secret: FAULT_JWT_SECRET, isDevelopmentSecret: false });
}

type Outcome = { ok: true; result: Record<string, any> } | { ok: false; kind: 'unanswered' | 'error'; code?: string };

/** Sends one command with a fresh commandId and classifies the answer. */
async function send(
  url: string,
  token: string,
  name: string,
  input: Record<string, unknown>,
  report: LoadReport,
  inFlight: Set<string>,
): Promise<Outcome> {
  const commandId = randomUUID();
  inFlight.add(commandId);
  let body: { data?: Record<string, Record<string, any>>; errors?: { extensions?: { code?: string } }[] };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: commandMutation(name), variables: { input: { ...input, commandId } } }),
      signal: AbortSignal.timeout(20_000),
    });
    body = (await response.json()) as typeof body;
  } catch {
    report.unanswered++;
    return { ok: false, kind: 'unanswered' };
  } finally {
    inFlight.delete(commandId);
  }
  const result = body.data?.[name];
  if (!result || body.errors) {
    const code = `graphql:${body.errors?.[0]?.extensions?.code ?? 'UNKNOWN'}`;
    report.errors[code] = (report.errors[code] ?? 0) + 1;
    return { ok: false, kind: 'error', code };
  }
  if (!String(result.__typename).endsWith('Success')) {
    report.errors[result.code] = (report.errors[result.code] ?? 0) + 1;
    return { ok: false, kind: 'error', code: result.code };
  }
  report.acknowledged.push({
    commandId,
    name,
    aggregateId: result.aggregateId,
    position: BigInt(result.position),
    events: (result.events as { type: string; version: number; position: string }[]).map((e) => ({ ...e, position: BigInt(e.position) })),
  });
  return { ok: true, result };
}

/** Adds the load's products and customer (once per database); returns the customer id. */
export async function prepareLoad(url: string): Promise<string> {
  const token = await staffToken();
  const report: LoadReport = { acknowledged: [], unanswered: 0, errors: {}, elapsedMs: 0 };
  const inFlight = new Set<string>();
  for (const sku of LOAD_SKUS)
    await send(url, token, 'addProduct', { sku, name: `Fault ${sku}`, priceCents: 250, initialStock: 1_000_000 }, report, inFlight);
  const customer = await send(
    url,
    token,
    'registerCustomer',
    { name: 'Fault Load', email: `${randomUUID().slice(0, 8)}@faults.example.com` },
    report,
    inFlight,
  );
  if (!customer.ok || Object.keys(report.errors).length > 0) throw new Error(`could not prepare the load: ${JSON.stringify(report)}`);
  return customer.result.customer.id as string;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/**
 * `clients` concurrent HTTP clients, each walking orders through their lifecycle (create, add
 * items, sometimes remove one, submit, pay or cancel) and restocking now and then, every command
 * with its own commandId. A client whose command went unanswered leaves that order (its state is
 * unknown) and starts a new one, so the load keeps going through and after a fault.
 */
export function startWriteLoad(url: () => string, customerId: string, clients = 6): WriteLoad {
  const report: LoadReport = { acknowledged: [], unanswered: 0, errors: {}, elapsedMs: 0 };
  const inFlight = new Set<string>();
  const createdOrderIds: string[] = [];
  const started = Date.now();
  let running = true;
  const pause = () => new Promise((r) => setTimeout(r, 20));

  async function client(index: number): Promise<void> {
    // One identity per client, as separate staff members would be (limits are per identity).
    const token = await staffToken(`fault-staff-${index}`);
    const run = (name: string, input: Record<string, unknown>) => send(url(), token, name, input, report, inFlight);
    while (running) {
      const orderId = `fault-${randomUUID().slice(0, 12)}`;
      const created = await run('createOrder', { customerId, orderId });
      if (!created.ok) {
        await pause();
        continue;
      }
      createdOrderIds.push(orderId);
      let totalCents = 0;
      let alive = true;
      for (let i = 0, n = 1 + Math.floor(Math.random() * 3); i < n && alive && running; i++) {
        const added = await run('addItem', { orderId, sku: pick(LOAD_SKUS), quantity: 1 + Math.floor(Math.random() * 3) });
        alive = added.ok;
        if (added.ok) totalCents = added.result.order.totalCents;
      }
      if (!alive || !running) continue;
      const roll = Math.random();
      if (roll < 0.15) await run('restockProduct', { sku: pick(LOAD_SKUS), quantity: 5 });
      if (roll < 0.3) continue; // stays a draft
      const submitted = await run('submitOrder', { orderId });
      if (!submitted.ok || !running) continue;
      if (roll < 0.6) await run('recordPayment', { orderId, amountCents: totalCents, paymentRef: `pay-${orderId}` });
      else await run('cancelOrder', { orderId, reason: 'changed their mind' });
    }
  }

  const done = Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  return {
    get acknowledgedCount() {
      return report.acknowledged.length;
    },
    get errors() {
      return report.errors;
    },
    inFlightNow: () => inFlight.size,
    inFlightCommandIds: () => [...inFlight],
    createdOrderIds,
    async stop() {
      running = false;
      await done;
      report.elapsedMs = Date.now() - started;
      return report;
    },
  };
}
