import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURES } from '../src/features.js';
import { buildSchema, printSortedSchema } from '../src/graphql/schema.js';

describe('schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:print` after a schema change)', () => {
    const checkedIn = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printSortedSchema(buildSchema(FEATURES)));
  });
});
