import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

// `npm run dashboard:build`, also run by `npm ci` (postinstall): types the dashboard's operations
// against schema.graphql (GraphQL Code Generator), then bundles the app into dashboard/dist, which
// the server serves at /dashboard. Both run offline from node_modules. Any failure fails the
// install: a server that silently serves no dashboard is worse than an install that says why.

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
process.chdir(repoRoot);
const started = performance.now();

// A production install (`npm ci --omit=dev`) has neither tool; the server then answers /dashboard
// with 503 and says how to build it. Everywhere else a missing tool is an error.
const productionInstall =
  process.env.npm_lifecycle_event === 'postinstall' &&
  (/\bdev\b/.test(process.env.npm_config_omit ?? '') || process.env.NODE_ENV === 'production');

let tools;
try {
  tools = {
    codegen: await import('@graphql-codegen/cli'),
    vite: await import('vite'),
    config: (await import('./codegen.js')).default,
  };
} catch (error) {
  if (productionInstall && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
    console.warn(
      'dashboard: not built (development dependencies were omitted); /dashboard will answer 503 until `npm run dashboard:build` runs with them installed.',
    );
    process.exit(0);
  }
  throw error;
}

try {
  await tools.codegen.generate(tools.config, true);
  await tools.vite.build({ configFile: fileURLToPath(new URL('vite.config.ts', import.meta.url)) });
  // Beside the build, where the server reads it in trusted-documents mode (TRUSTED_DOCUMENTS=true).
  copyFileSync('dashboard/src/gql/persisted-documents.json', 'dashboard/dist/trusted-documents.json');
} catch (error) {
  console.error('dashboard: the build failed:', error);
  process.exit(1);
}
console.log(`dashboard: built into dashboard/dist in ${((performance.now() - started) / 1000).toFixed(1)} s`);
