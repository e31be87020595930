import { ApolloProvider } from '@apollo/client/react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { createDashboardClient, type ConnectionStore, type DashboardClient } from './client.js';
import { InventoryTable } from './InventoryTable.js';
import { OrdersTable } from './OrdersTable.js';
import { OrderTimeline } from './OrderTimeline.js';
import { linkProps, useRoute, type Route } from './router.js';
import { forgetToken, initialToken, readClaims, saveToken } from './session.js';
import { SignIn } from './SignIn.js';

export function App() {
  const [token, setToken] = useState(initialToken);
  if (!token) {
    return (
      <SignIn
        onToken={(next) => {
          saveToken(next);
          setToken(next);
        }}
      />
    );
  }
  const signOut = () => {
    forgetToken();
    setToken(null);
  };
  return <Dashboard key={token} token={token} onSignOut={signOut} />;
}

function Dashboard({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  // Created in an effect (not during render) so each client is disposed exactly once, also under
  // StrictMode's double mount.
  const [client, setClient] = useState<DashboardClient>();
  useEffect(() => {
    const created = createDashboardClient(token);
    setClient(created);
    return () => created.dispose();
  }, [token]);
  const [route, navigate] = useRoute();
  if (!client) return null;

  return (
    <ApolloProvider client={client.apollo}>
      <Header token={token} route={route} navigate={navigate} connection={client.connection} onSignOut={onSignOut} />
      <main className={route.screen === 'orders' && route.orderId ? 'content split' : 'content'}>
        {route.screen === 'inventory' ? (
          <InventoryTable onSignOut={onSignOut} />
        ) : (
          <>
            <OrdersTable selectedId={route.orderId} navigate={navigate} onSignOut={onSignOut} />
            {route.orderId && <OrderTimeline key={route.orderId} orderId={route.orderId} navigate={navigate} onSignOut={onSignOut} />}
          </>
        )}
      </main>
    </ApolloProvider>
  );
}

const CONNECTION_LABEL = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…' } as const;

function Header({ token, route, navigate, connection, onSignOut }: { token: string; route: Route; navigate: (route: Route) => void; connection: ConnectionStore; onSignOut: () => void }) {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  const claims = readClaims(token);
  const staff = claims?.role === 'staff' || claims?.role === 'admin';
  return (
    <>
      <header className="topbar">
        <span className="brand">Ordersource</span>
        <nav>
          <a {...linkProps({ screen: 'orders' }, navigate)} aria-current={route.screen === 'orders' ? 'page' : undefined}>
            Orders
          </a>
          <a {...linkProps({ screen: 'inventory' }, navigate)} aria-current={route.screen === 'inventory' ? 'page' : undefined}>
            Inventory
          </a>
        </nav>
        <span className={`connection connection-${state}`} data-testid="connection" data-state={state}>
          {CONNECTION_LABEL[state]}
        </span>
        <span className="who">
          {claims?.sub ?? 'unknown'} <span className="muted">({claims?.role ?? 'no role'})</span>
        </span>
        <button type="button" className="link-button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {!staff && (
        <div className="notice notice-warning content" role="alert">
          This token's role is {claims?.role ?? 'unknown'}: the dashboard needs a staff or admin token, so the live feed will be refused.
        </div>
      )}
    </>
  );
}
