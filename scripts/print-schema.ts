import { writeFileSync } from 'node:fs';
import { FEATURES } from '../src/features.js';
import { buildSchema, printSortedSchema } from '../src/graphql/schema.js';

// Writes schema.graphql from the Pothos schema (`npm run schema:print`).
writeFileSync(new URL('../schema.graphql', import.meta.url), printSortedSchema(buildSchema(FEATURES)));
console.log('wrote schema.graphql');
