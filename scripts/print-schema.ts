import { writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/graphql/schema.js';

// Writes schema.graphql from the Pothos schema (`npm run schema:print`).
writeFileSync(new URL('../schema.graphql', import.meta.url), printSortedSchema());
console.log('wrote schema.graphql');
