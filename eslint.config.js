// Lint: typescript-eslint's recommended rules, and the layer order that keeps the generic
// modules generic. Formatting is prettier's (`npm run format`), not lint's.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layer order, lowest first (README "Layout"). A file may import its own layer and the layers
 * below it, never one above: the generic parts declare the narrow interfaces they need and the
 * composition root (`services.ts`, `app.ts`, `main.ts`) passes implementations in. Specs in a
 * folder obey its layer too; whole-service tests live in `tests/`.
 */
const LAYERS = [
  ['config.ts', 'config', 'configTable.ts', 'logger.ts', 'domain'],
  ['auth'],
  ['db', 'generated'],
  ['eventStore'],
  ['observability'],
  ['projections'],
  // Effects outside the database: integration events, the durable scheduler, reactions.
  ['integrationEvents', 'scheduler'],
  ['reactions'],
  ['live'],
  ['commands'],
  ['graphql', 'dashboard'],
  // The contract a feature fills in, and the wiring of the generic parts from a list of features.
  ['feature.ts', 'services.ts'],
  ['orders', 'products', 'customers', 'analytics', 'search', 'system', 'webhooks', 'eventBus', 'notifications', 'deadLetters'],
  // The composition root: the list of features, the HTTP/WebSocket server, the process.
  ['features.ts', 'app.ts', 'main.ts'],
];
const src = (names) => names.map((name) => `./src/${name}`);
const layerZones = LAYERS.slice(0, -1).map((layer, index) => ({
  target: src(layer),
  from: src(LAYERS.slice(index + 1).flat()),
  message:
    'imports against the layer order (LAYERS in eslint.config.js): declare the interface this layer needs and let the composition root pass it in',
}));
// A feature's own specs may start the whole service (its list of features) to exercise the feature.
const FEATURE_LAYER = LAYERS.length - 2;
const featureSpecZones = layerZones.map((zone, index) => (index === FEATURE_LAYER ? { ...zone, from: src(['app.ts', 'main.ts']) } : zone));

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'dashboard/dist/', 'dashboard/src/gql/', 'data/', 'bench/out/', '.scratch/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    // Resolves `./x.js` specifiers to the `.ts` files they name, as TypeScript does.
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      // It flags a loop's "the last assignment wins" as useless.
      'no-useless-assignment': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Layers point one way, so a folder cycle cannot start and the generic parts stay generic.
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
  {
    files: LAYERS[FEATURE_LAYER].map((folder) => `src/${folder}/**/*.spec.ts`),
    rules: { 'import-x/no-restricted-paths': ['error', { zones: featureSpecZones }] },
  },
  {
    // Tests, benchmarks and scripts read JSON answers off the wire, where `any` is the honest type.
    files: ['tests/**', 'bench/**', 'scripts/**', 'dashboard/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
