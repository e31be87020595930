import http from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';

// The baseline for the mutation benchmark: a plain Yoga server whose addItem resolver does the
// same durable insert with `pg` (BEGIN / INSERT / COMMIT), with no event sourcing, auth or checks.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 16 });
await pool.query(`CREATE TABLE IF NOT EXISTS plain_items (id bigserial PRIMARY KEY, order_id text NOT NULL, sku text NOT NULL,
  quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);

const yoga = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs: 'type Query { ok: Boolean } type Mutation { addItem(orderId: ID!, sku: String!, quantity: Int!): Boolean! }',
    resolvers: {
      Mutation: {
        addItem: async (_: unknown, args: { orderId: string; sku: string; quantity: number }) => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query('INSERT INTO plain_items (order_id, sku, quantity) VALUES ($1, $2, $3)', [args.orderId, args.sku, args.quantity]);
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
