import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Headers any of which marks a request as sent by a script rather than a cross-site form or link. */
export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'];

/**
 * CSRF prevention: a browser sends a GET, or a POST with a form or text/plain body, cross-site
 * without a CORS preflight, and with the victim's cookies. Such requests must carry one of
 * CSRF_HEADERS, which a cross-site page cannot add without a preflight. `application/json` and
 * `application/graphql-response+json` POSTs are always preflighted and pass as they are.
 * Yoga's plugin does the check; its refusal is given a machine-readable code here.
 */
export function useCsrfPrevention(): Plugin {
  const { onRequestParse } = useCSRFPrevention({ requestHeaders: CSRF_HEADERS }) as Required<Pick<Plugin, 'onRequestParse'>>;
  return {
    onRequestParse(payload) {
      try {
        return onRequestParse(payload);
      } catch {
        throw new GraphQLError(`a GET or form/text POST must carry one of the headers ${CSRF_HEADERS.join(', ')} (CSRF prevention)`, {
          extensions: { code: 'CSRF_HEADER_REQUIRED', http: { status: 403 } },
        });
      }
    },
  };
}
