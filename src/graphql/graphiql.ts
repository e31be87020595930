import type { GraphiQLOptions } from 'graphql-yoga';
import { signAccessToken } from '../auth/tokens.js';
import type { Config } from '../config.js';

/**
 * One tab GraphiQL opens with in development. Each feature exports its own (`examples` of its
 * module), in the order of the features; a unit test validates every operation and its variables
 * against the schema, so they cannot drift from the contract.
 */
export interface GraphiQLExample {
  title: string;
  query: string;
  /** JSON-encoded variables for the tab (shared by the tab's operations). */
  variables: string;
}

const TOKEN_LIFETIME_SECONDS = 12 * 60 * 60;
// Renewed well before it expires, so a GraphiQL page opened now works for hours.
const RENEW_WHEN_LEFT_SECONDS = 4 * 60 * 60;

/**
 * GraphiQL options: off unless `config.graphiql` (on in development unless `GRAPHIQL=false`); the
 * features' example operations as tabs. In development only, a staff token (signed with the configured
 * secret, subject `graphiql`) is prefilled in the headers: minted on the first GraphiQL page and
 * renewed as it ages, so a page opened at any time works for hours.
 */
export function graphiqlOptions(config: Config, examples: readonly GraphiQLExample[]): false | (() => Promise<GraphiQLOptions>) {
  if (!config.graphiql) return false;
  let token: { value: Promise<string>; expiresAt: number } | undefined;
  const staffToken = () => {
    const now = Date.now() / 1000;
    if (!token || token.expiresAt - now < RENEW_WHEN_LEFT_SECONDS) {
      const expiresAt = Math.floor(now) + TOKEN_LIFETIME_SECONDS;
      token = { value: signAccessToken({ sub: 'graphiql', role: 'staff' }, config.jwt, expiresAt), expiresAt };
    }
    return token.value;
  };
  return async () => {
    const headers = config.env === 'development' ? JSON.stringify({ Authorization: `Bearer ${await staffToken()}` }, null, 2) : '{}';
    return {
      title: 'Ordersource GraphiQL',
      headers,
      defaultHeaders: headers,
      defaultQuery: examples[0]?.query,
      // The first tab's variables again: GraphiQL fills the open tab's variable editor from this
      // option alone, and leaves it empty when only the tab carries them.
      variables: examples[0]?.variables,
      defaultTabs: examples.map(({ query, variables }) => ({ query, variables, headers })),
      defaultEditorToolsVisibility: true,
    };
  };
}
