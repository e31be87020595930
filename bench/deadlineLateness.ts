/**
 * How late payment deadlines fire when many fall due at the same instant: `count` orders (default
 * 1,000) submitted with the command clock held at one instant (so every deadline is the same
 * moment), then, with the timeout chosen so that moment is a few seconds ahead, the timer of one
 * in-process service fires them. Lateness is each OrderExpired's commit time (its
 * `occurredAt`) minus that moment (orders spread over 50 products); prints p50, p99 and max, and how long the whole batch took.
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
import { createServices, startServices, stopServices } from '../src/services.js';
import { closeBenchServer, createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';

const count = Number(process.argv[process.argv.indexOf('--count') + 1] ?? 1000) || 1000;
const LEAD_MS = 3_000;
const RealDate = Date;
const submittedAt = RealDate.now();
// The pipeline takes a command's time from `new Date()`: held still while the orders are submitted.
globalThis.Date = class extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(submittedAt);
    else super(...(args as [string]));
  }
} as DateConstructor;

const server = await startBenchServer();
const url = await createMigratedDatabase(server, `ordersource_deadlines_${Date.now()}`);
const db = connectDatabase(url, { poolSize: 20 });
const configWith = (timeoutSeconds: number) =>
  loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(32),
    DATA_KEY_SECRET: 'y'.repeat(32),
    PAYMENT_TIMEOUT_SECONDS: String(timeoutSeconds),
  });
const writer = createServices({ config: configWith(3600), logger: createLogger('warn'), db, features: FEATURES });
await writer.eventStore.start();
const staff = { actor: { kind: 'user', sub: 'bench', role: 'staff' } } as const;
let seq = 0;
const run = (definition: CommandDefinition<any, any>, input: Record<string, unknown>) =>
  runCommand(definition, input, { auth: staff, services: writer, requestId: `r${++seq}` });

console.log(`submitting ${count} orders…`);
// Orders spread over 50 products, as in a shop: one hot product would make every expiry (and
// submission) conflict on its stream.
const PRODUCTS = 50;
for (let p = 0; p < PRODUCTS; p++) await run(addProduct, { sku: `BENCH-${p}`, name: 'Bench', priceCents: 100, initialStock: count });
const customerId = (await run(registerCustomer, { name: 'Bench', email: 'bench@example.com' })).aggregateId;
let next = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < count) {
      const n = next++;
      const orderId = `o-${n}`;
      await run(createOrder, { customerId, orderId });
      await run(addItem, { orderId, sku: `BENCH-${n % PRODUCTS}`, quantity: 1 });
      await run(submitOrder, { orderId });
    }
  }),
);

globalThis.Date = RealDate;
await writer.eventStore.stop();
// A timeout that makes the common deadline fall LEAD_MS or a little more from now.
const timeoutSeconds = Math.ceil((RealDate.now() + LEAD_MS - submittedAt) / 1000);
const dueAt = submittedAt + timeoutSeconds * 1000;
const services = createServices({ config: configWith(timeoutSeconds), logger: createLogger('warn'), db, features: FEATURES });
await startServices(services);

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
console.log(
  `${count} deadlines due at once: lateness p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${lateness.at(-1)} ms, min ${lateness[0]} ms`,
);

await stopServices(services);
await db.close();
await closeBenchServer();
