import { useCallback, useEffect, useState, type MouseEvent } from 'react';

// A few screens do not need a router library: the path under the base is the route, links push
// history entries, and the server answers index.html for every path under /dashboard.

export type Route = { screen: 'orders'; orderId?: string } | { screen: 'inventory' } | { screen: 'projections' } | { screen: 'webhooks' };

const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

export function parseRoute(pathname: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const [screen, id] = path.split('/').filter(Boolean);
  if (screen === 'inventory') return { screen: 'inventory' };
  if (screen === 'projections') return { screen: 'projections' };
  if (screen === 'webhooks') return { screen: 'webhooks' };
  if (screen === 'orders' && id) return { screen: 'orders', orderId: decodeURIComponent(id) };
  return { screen: 'orders' };
}

export function routeHref(route: Route): string {
  if (route.screen === 'inventory') return `${BASE}/inventory`;
  if (route.screen === 'projections') return `${BASE}/projections`;
  if (route.screen === 'webhooks') return `${BASE}/webhooks`;
  return route.orderId ? `${BASE}/orders/${encodeURIComponent(route.orderId)}` : `${BASE}/`;
}

/** The current route, and a navigate function that changes it without reloading the page. */
export function useRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((next: Route) => {
    window.history.pushState(null, '', routeHref(next));
    setRoute(next);
  }, []);
  return [route, navigate];
}

/** Props for an anchor that navigates in place (a modified click still opens a new tab). */
export function linkProps(route: Route, navigate: (route: Route) => void) {
  return {
    href: routeHref(route),
    onClick(event: MouseEvent<HTMLAnchorElement>) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(route);
    },
  };
}
