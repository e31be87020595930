import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/configTable.js';

// Rewrites the README's configuration table from the settings declared in src/config/ (`npm run config:table`).
const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withConfigTable(readFileSync(readme, 'utf8')));
console.log('wrote the configuration table of README.md');
