import { CombinedGraphQLErrors, ServerError } from '@apollo/client';
import type { ErrorLike } from '@apollo/client';

/** The `code` of each GraphQL error (UNAUTHENTICATED, FORBIDDEN, ...) in an Apollo error. */
export function errorCodes(error: ErrorLike | undefined): string[] {
  if (!error || !CombinedGraphQLErrors.is(error)) return [];
  return error.errors.map((e) => String(e.extensions?.code ?? 'ERROR'));
}

/** True when the server refused the token or the role (the sign-in box should come back). */
export function isAuthError(error: ErrorLike | undefined): boolean {
  return errorCodes(error).some((code) => code === 'UNAUTHENTICATED' || code === 'FORBIDDEN');
}

function describe(error: ErrorLike): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; ');
  }
  if (ServerError.is(error)) return `the server answered HTTP ${error.statusCode}`;
  return error.message || 'the server could not be reached';
}

/** A visible error: what failed, and the server's codes and reasons. */
export function ErrorNotice({ what, error, onSignOut }: { what: string; error: ErrorLike; onSignOut?: () => void }) {
  const auth = isAuthError(error);
  return (
    <div className="notice notice-error" role="alert" data-testid="error">
      <strong>{auth ? 'The server refused this token.' : `Could not load ${what}.`}</strong> {describe(error)}
      {auth && onSignOut && (
        <button type="button" className="link-button" onClick={onSignOut}>
          Sign in with another token
        </button>
      )}
    </div>
  );
}
