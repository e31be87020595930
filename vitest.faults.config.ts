import { defineConfig } from 'vitest/config';

// The fault and soak runs (`npm run test:faults`): kill -9 under load, a database outage,
// graceful shutdown under load and a bounded soak, each against real server processes. They take
// minutes, so they live apart from `npm test`. Files run one at a time: each spawns servers and
// PostgreSQL clusters of its own, and timings (fail-fast bounds, memory) mean little when two
// fault files fight over two cores.
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    name: 'faults',
    include: ['tests/faults/**/*.fault.spec.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
