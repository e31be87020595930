/**
 * How late payment deadlines fire when many fall due at the same instant: `count` submitted orders
 * (default 1,000) whose deadlines are all set to one moment a few seconds ahead, then the timer of
 * one in-process service fires them. Lateness is each OrderExpired's commit time (its
 * `occurredAt`) minus that moment; prints p50, p99 and max, and how long the whole batch took.
 *
 * Usage: `npx tsx bench/deadlineLateness.ts [--count 1000]` (BENCH_DATABASE_URL, or an embedded
 * PostgreSQL in a temp folder).
 */
import { runCommand, type CommandDefinition } from '../src/commands/pipeline.js';
import { loadConfig } from '../src/config.js';
import { registerCustomer } from '../src/customers/customerCommands.js';
import { connectDatabase } from '../src/db/database.js';
import { FEATURES } from '../src/features.js';
import { createLogger } from '../src/logger.js';
import { addItem, createOrder, submitOrder } from '../src/orders/orderCommands.js';
import { addProduct } from '../src/products/productCommands.js';
import { createServices, stopServices } from '../src/services.js';
import { closeBenchServer, createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';

const count = Number(process.argv[process.argv.indexOf('--count') + 1] ?? 1000) || 1000;
const TIMEOUT_SECONDS = 600;
const LEAD_MS = 3_000;

const server = await startBenchServer();
const url = await createMigratedDatabase(server, `ordersource_deadlines_${Date.now()}`);
const db = connectDatabase(url, { poolSize: 20 });
const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PAYMENT_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) });
const services = createServices({ config, logger: createLogger('warn'), db, features: FEATURES });
await services.eventStore.start();
const staff = { actor: { kind: 'user', sub: 'bench', role: 'staff' } } as const;
let seq = 0;
const run = (definition: CommandDefinition<any, any>, input: Record<string, unknown>) => runCommand(definition, input, { auth: staff, services, requestId: `r${++seq}` });

console.log(`submitting ${count} orders…`);
await run(addProduct, { sku: 'BENCH', name: 'Bench', priceCents: 100, initialStock: count * 2 });
const customerId = (await run(registerCustomer, { name: 'Bench', email: 'bench@example.com' })).aggregateId;
let next = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < count) {
      const orderId = `o-${next++}`;
      await run(createOrder, { customerId, orderId });
      await run(addItem, { orderId, sku: 'BENCH', quantity: 1 });
      await run(submitOrder, { orderId });
    }
  }),
);

// The deadlines projection schedules them; then every deadline is moved to one instant.
services.readSide.start();
const head = await services.eventStore.headPosition();
await services.readSide.waitFor(['paymentDeadlines'], head, 60_000);
const dueAt = Date.now() + LEAD_MS;
await db.pool.query('UPDATE payment_deadlines SET submitted_at = $1', [new Date(dueAt - TIMEOUT_SECONDS * 1000)]);
for (const process of services.processes) process.start();

const started = Date.now();
for (;;) {
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE type = 'OrderExpired'");
  if (rows[0]!.n >= count) break;
  if (Date.now() - started > 120_000) throw new Error(`only ${rows[0]!.n} of ${count} expired after 2 minutes`);
  await new Promise((r) => setTimeout(r, 100));
}
const { rows } = await db.pool.query<{ at: string }>("SELECT metadata->>'occurredAt' AS at FROM events WHERE type = 'OrderExpired'");
const lateness = rows.map((r) => Date.parse(r.at) - dueAt).sort((a, b) => a - b);
const pct = (p: number) => lateness[Math.min(lateness.length - 1, Math.ceil((p / 100) * lateness.length) - 1)]!;
console.log(`${count} deadlines due at once: lateness p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${lateness.at(-1)} ms (all expired ${lateness.at(-1)! } ms after the due time)`);

await stopServices(services);
await db.close();
await closeBenchServer();
