import { defineConfig } from 'prisma/config';

// The Prisma CLI is used here only for `generate` (see scripts/prisma-generate.sh); migrations go
// through our own wasm-engine runner (src/db/migrations), which works offline.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/ordersource' },
});
