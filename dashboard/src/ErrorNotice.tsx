import { CombinedGraphQLErrors, ServerError } from '@apollo/client';
import type { ErrorLike } from '@apollo/client';
import { useEffect } from 'react';

/** True when the server refused the token or its role: the dashboard goes back to sign-in. */
export function isRefusal(error: ErrorLike | undefined): boolean {
  return (
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED' || e.extensions?.code === 'FORBIDDEN')
  );
}

/** The server's codes and reasons (`UNAUTHENTICATED: the token has expired`), or what went wrong on the way. */
export function describeError(error: ErrorLike): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; ');
  }
  if (ServerError.is(error)) return `the server answered HTTP ${error.statusCode}`;
  return error.message || 'the server could not be reached';
}

/**
 * A visible error. A refused token (bad, expired, or not staff) is handed to `onRefused`, which
 * signs out and shows the reason on the sign-in box; anything else is shown where it happened.
 */
export function ErrorNotice({ what, error, onRefused }: { what: string; error: ErrorLike; onRefused: (reason: string) => void }) {
  const refused = isRefusal(error);
  useEffect(() => {
    if (refused) onRefused(`The server refused this token: ${describeError(error)}`);
  }, [refused, error, onRefused]);
  if (refused) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid="error">
      <strong>Could not load {what}.</strong> {describeError(error)}
    </div>
  );
}
