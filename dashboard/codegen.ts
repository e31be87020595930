import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

// The dashboard's operations are typed from the checked-in contract (schema.graphql), not from a
// running server, so the build needs no network and a breaking schema change fails the type check.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['dashboard/src/**/*.{ts,tsx}', '!dashboard/src/gql/**'],
  ignoreNoDocuments: false,
  silent: true,
  generates: {
    'dashboard/src/gql/': {
      preset: 'client',
      // persistedDocuments: also writes persisted-documents.json (sha256 of each operation -> its
      // text), the manifest the server's trusted-documents mode accepts (copied by build.ts).
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      // Apollo's cache adds __typename to every selection before sending; the manifest must hold the
      // document as sent, so that the hash the dashboard sends names exactly what it asked for.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
    // Which object types implement each interface and belong to each union (the mutations' result
    // unions, `Error`): Apollo's cache needs it to match `... on Error` against `InvalidStateError`,
    // or it drops a refusal's code and message.
    'dashboard/src/gql/possibleTypes.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
};

export default config;
