// The staff token: taken from `?token=` once (then removed from the address bar so it does not
// linger in history or bookmarks), or pasted into the sign-in box, and kept for this tab only.

const STORAGE_KEY = 'ordersource.dashboard.token';

/** What the token says about its holder, read without verification: the server verifies. */
export interface TokenClaims {
  sub?: string;
  role?: string;
  /** Expiry in milliseconds since the epoch. */
  expiresAt?: number;
}

/** The token for this tab: `?token=` wins over the one remembered in sessionStorage. */
export function initialToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token')?.trim();
  if (fromUrl) {
    saveToken(fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return window.sessionStorage.getItem(STORAGE_KEY);
}

export function saveToken(token: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, token);
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}

/** Accepts a bare JWT or a pasted `Bearer <jwt>` header value. */
export function normaliseToken(input: string): string {
  return input.trim().replace(/^Bearer\s+/i, '');
}

/** The claims of a JWT, or null when it is not shaped like one. */
export function readClaims(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; role?: unknown; exp?: unknown };
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      role: typeof claims.role === 'string' ? claims.role : undefined,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    };
  } catch {
    return null;
  }
}
