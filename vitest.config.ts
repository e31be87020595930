import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no database; `database` holds the integration (`.int.spec.ts`) and
// end-to-end (`.e2e.spec.ts`) tiers, which share one PostgreSQL (embedded, or the server named by
// TEST_DATABASE_URL) started once per run. Every test file clones a fresh database from a migrated
// template. `npm run test:int` / `test:e2e` pick a tier by file suffix.
export default defineConfig({
  // Node loads graphql's CommonJS build for everyone (the package has no "exports"); Vite would
  // pick its .mjs build for our files and give two graphql instances. Use the one Node uses.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.unit.spec.ts', 'tests/**/*.unit.spec.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'database',
          include: ['src/**/*.int.spec.ts', 'tests/**/*.int.spec.ts', 'tests/**/*.e2e.spec.ts'],
          globalSetup: ['tests/support/globalSetup.ts'],
          setupFiles: ['tests/support/serverCleanup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
