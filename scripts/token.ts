import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../src/auth/actor.js';
import { signAccessToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';

// `npm run token -- --role staff --sub alice [--expires 12h]`: prints a token signed with
// JWT_SECRET (or the development secret that `npm start` uses when JWT_SECRET is unset).
const USAGE = `usage: npm run token -- --role <${ROLES.join('|')}> --sub <subject> [--expires 12h]

Prints an access token signed with JWT_SECRET (or the development secret \`npm start\` uses
without one). A customer's --sub is their customer id.`;

// A mistyped option is a usage error, said as such, rather than parseArgs's stack trace.
let values: { role?: string; sub?: string; expires?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      role: { type: 'string', default: 'staff' },
      sub: { type: 'string' },
      expires: { type: 'string', default: '12h' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.sub || !ROLES.includes(values.role as Role)) {
  console.error(USAGE);
  process.exit(2);
}
const config = loadConfig();
console.log(await signAccessToken({ sub: values.sub, role: values.role as Role }, config.jwt, values.expires));
