import http from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';

// The baseline for the mutation and query benchmarks: a plain Yoga server whose addItem resolver
// does the same durable insert with `pg` (BEGIN / INSERT / COMMIT), and whose order(id) resolver
// reads the same order row and its lines from our read tables with one `pg` SELECT (when started on
// our database), with no event sourcing, auth or checks.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
await pool.query(`CREATE TABLE IF NOT EXISTS plain_items (id bigserial PRIMARY KEY, order_id text NOT NULL, sku text NOT NULL,
  quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);

const ORDER_SQL = `SELECT s.order_id AS id, s.status, s.total_cents AS "totalCents", s.item_count AS "itemCount",
    coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents) ORDER BY l.line_no)
              FROM order_lines l WHERE l.order_id = s.order_id), '[]') AS items
  FROM order_summaries s WHERE s.order_id = $1`;

const yoga = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs: `type Query { order(id: ID!): Order }
      type Order { id: ID! status: String! totalCents: Int! itemCount: Int! items: [OrderItem!]! }
      type OrderItem { sku: String! quantity: Int! unitPriceCents: Int! }
      type Mutation { addItem(orderId: ID!, sku: String!, quantity: Int!): Boolean! }`,
    resolvers: {
      Query: {
        order: async (_: unknown, args: { id: string }) => {
          const { rows } = await pool.query({ name: 'order', text: ORDER_SQL, values: [args.id] });
          return rows[0] ?? null;
        },
      },
      Mutation: {
        addItem: async (_: unknown, args: { orderId: string; sku: string; quantity: number }) => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query('INSERT INTO plain_items (order_id, sku, quantity) VALUES ($1, $2, $3)', [
              args.orderId,
              args.sku,
              args.quantity,
            ]);
            await client.query('COMMIT');
            return true;
          } finally {
            client.release();
          }
        },
      },
    },
  }),
});
const server = http.createServer(yoga);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('Plain Yoga is listening'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
