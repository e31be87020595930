import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../src/auth/actor.js';
import { signAccessToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';

// `npm run token -- --role staff --sub alice [--expires 12h]`: prints a token signed with
// JWT_SECRET (or the development secret that `npm start` uses when JWT_SECRET is unset).
const { values } = parseArgs({
  options: { role: { type: 'string', default: 'staff' }, sub: { type: 'string' }, expires: { type: 'string', default: '12h' } },
});
if (!values.sub || !ROLES.includes(values.role as Role)) {
  console.error(`usage: npm run token -- --role <${ROLES.join('|')}> --sub <subject> [--expires 12h]`);
  process.exit(2);
}
const config = loadConfig();
console.log(await signAccessToken({ sub: values.sub, role: values.role as Role }, config.jwt, values.expires));
