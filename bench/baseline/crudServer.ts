import http from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';

// The fair peer for `addItem`: what a user would write instead of event sourcing, a CRUD server
// (Yoga + `pg`) that keeps the same tables current in each request's own transaction. Lock the
// order, check it is a draft, read the product's price, upsert the line (refusing more than 1,000
// units, as our decider does), update the order's summary and write a history row, commit. No
// auth, no idempotency, no events: the same read models, kept the usual way.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
await pool.query(`
  CREATE TABLE IF NOT EXISTS crud_products (sku text PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL);
  CREATE TABLE IF NOT EXISTS crud_orders (order_id text PRIMARY KEY, customer_id text NOT NULL, status text NOT NULL,
    item_count int NOT NULL DEFAULT 0, total_cents int NOT NULL DEFAULT 0, version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS crud_lines (order_id text NOT NULL, sku text NOT NULL, name text NOT NULL, quantity int NOT NULL,
    unit_price_cents int NOT NULL, PRIMARY KEY (order_id, sku));
  CREATE TABLE IF NOT EXISTS crud_history (id bigserial PRIMARY KEY, order_id text NOT NULL, type text NOT NULL, data jsonb NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS crud_history_order_idx ON crud_history (order_id, id);`);

const MAX_UNITS = 1_000;

class Refused extends Error {}

async function addItem(orderId: string, sku: string, quantity: number): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const order = await client.query<{ status: string }>({
      name: 'lock-order',
      text: 'SELECT status FROM crud_orders WHERE order_id = $1 FOR UPDATE',
      values: [orderId],
    });
    if (order.rows[0]?.status !== 'DRAFT') throw new Refused(order.rows[0] ? 'ORDER_NOT_DRAFT' : 'ORDER_NOT_FOUND');
    const product = await client.query<{ name: string; price_cents: number }>({
      name: 'price',
      text: 'SELECT name, price_cents FROM crud_products WHERE sku = $1',
      values: [sku],
    });
    const price = product.rows[0];
    if (!price) throw new Refused('PRODUCT_NOT_FOUND');
    const line = await client.query({
      name: 'upsert-line',
      text: `INSERT INTO crud_lines (order_id, sku, name, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (order_id, sku) DO UPDATE SET quantity = crud_lines.quantity + EXCLUDED.quantity
             WHERE crud_lines.quantity + EXCLUDED.quantity <= ${MAX_UNITS} RETURNING quantity`,
      values: [orderId, sku, price.name, quantity, price.price_cents],
    });
    if (line.rowCount === 0) throw new Refused('QUANTITY_LIMIT');
    await client.query({
      name: 'update-summary',
      text: `UPDATE crud_orders SET item_count = item_count + $2, total_cents = total_cents + $3, version = version + 1, updated_at = now()
             WHERE order_id = $1`,
      values: [orderId, quantity, quantity * price.price_cents],
    });
    await client.query({
      name: 'history',
      text: `INSERT INTO crud_history (order_id, type, data) VALUES ($1, 'ItemAdded', $2)`,
      values: [orderId, JSON.stringify({ sku, quantity, unitPriceCents: price.price_cents })],
    });
    await client.query('COMMIT');
    return 'ADDED';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if (error instanceof Refused) return error.message;
    throw error;
  } finally {
    client.release();
  }
}

const yoga = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs: `type Query { ok: Boolean! }
      type Mutation { addItem(orderId: ID!, sku: String!, quantity: Int!): String! }`,
    resolvers: {
      Query: { ok: () => true },
      Mutation: {
        addItem: (_: unknown, args: { orderId: string; sku: string; quantity: number }) => addItem(args.orderId, args.sku, args.quantity),
      },
    },
  }),
});
const server = http.createServer(yoga);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('CRUD Yoga is listening'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
