// Lint: typescript-eslint's recommended rules, and the layering rule that keeps the generic
// modules generic. Formatting is prettier's (`npm run format`), not lint's.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const FEATURES = [
  './src/orders',
  './src/products',
  './src/customers',
  './src/analytics',
  './src/search',
  './src/system',
  './src/webhooks',
  './src/features.ts',
];
const GENERIC = ['eventStore', 'projections', 'live', 'commands', 'graphql', 'db', 'reactions', 'scheduler', 'integrationEvents'];

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
      // A generic module that imports a feature is how cycles between folders start: features
      // register themselves with the generic parts (see src/feature.ts), never the other way round.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: GENERIC.map((folder) => ({
            target: `./src/${folder}`,
            from: FEATURES,
            except: [],
            message: 'generic modules import no feature: let the feature register itself (src/feature.ts)',
          })),
        },
      ],
    },
  },
  {
    // Specs exercise the whole service, features included.
    files: ['**/*.spec.ts'],
    rules: { 'import-x/no-restricted-paths': 'off' },
  },
  {
    // Tests, benchmarks and scripts read JSON answers off the wire, where `any` is the honest type.
    files: ['tests/**', 'bench/**', 'scripts/**', 'dashboard/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
