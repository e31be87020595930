import { ApolloProvider } from '@apollo/client/react';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { createDashboardClient, type ConnectionStore, type DashboardClient } from './client.js';
import { InventoryTable } from './InventoryTable.js';
import { OrderSearch } from './OrderSearch.js';
import { OrdersTable } from './OrdersTable.js';
import { OrderTimeline } from './OrderTimeline.js';
import { ProjectionsPanel } from './ProjectionsPanel.js';
import { linkProps, useRoute, type Route } from './router.js';
import { SalesChart } from './SalesChart.js';
import { forgetToken, initialToken, readClaims, saveToken } from './session.js';
import { SignIn } from './SignIn.js';

export function App() {
  const [token, setToken] = useState(initialToken);
  const [reason, setReason] = useState<string>();
  const signOut = useCallback((why?: string) => {
    forgetToken();
    setToken(null);
    setReason(why);
  }, []);
  // The role is read here only to say early that a customer token will not do; the server decides.
  const role = token ? readClaims(token)?.role : undefined;
  const refusal =
    token && role !== 'staff' && role !== 'admin'
      ? `This token's role is ${role ?? 'missing'}: the dashboard needs a staff or admin token.`
      : undefined;
  useEffect(() => {
    if (refusal) signOut(refusal);
  }, [refusal, signOut]);

  if (!token || refusal) {
    return (
      <SignIn
        reason={reason}
        onToken={(next) => {
          saveToken(next);
          setReason(undefined);
          setToken(next);
        }}
      />
    );
  }
  return <Dashboard key={token} token={token} onSignOut={signOut} />;
}

function Dashboard({ token, onSignOut }: { token: string; onSignOut: (reason?: string) => void }) {
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
      <Header token={token} route={route} navigate={navigate} connection={client.connection} onSignOut={() => onSignOut()} />
      <main className={route.screen === 'orders' && route.orderId ? 'content split' : 'content'}>
        {route.screen === 'inventory' ? (
          <InventoryTable onRefused={onSignOut} />
        ) : route.screen === 'projections' ? (
          <ProjectionsPanel isAdmin={readClaims(token)?.role === 'admin'} onRefused={onSignOut} />
        ) : (
          <>
            <SalesChart onRefused={onSignOut} />
            <div className="stack">
              <OrderSearch navigate={navigate} onRefused={onSignOut} />
              <OrdersTable selectedId={route.orderId} navigate={navigate} onRefused={onSignOut} />
            </div>
            {route.orderId && <OrderTimeline key={route.orderId} orderId={route.orderId} navigate={navigate} onRefused={onSignOut} />}
          </>
        )}
      </main>
    </ApolloProvider>
  );
}

const CONNECTION_LABEL = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…' } as const;

function Header({
  token,
  route,
  navigate,
  connection,
  onSignOut,
}: {
  token: string;
  route: Route;
  navigate: (route: Route) => void;
  connection: ConnectionStore;
  onSignOut: () => void;
}) {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  const claims = readClaims(token);
  return (
    <header className="topbar">
      <span className="brand">Ordersource</span>
      <nav>
        <a {...linkProps({ screen: 'orders' }, navigate)} aria-current={route.screen === 'orders' ? 'page' : undefined}>
          Orders
        </a>
        <a {...linkProps({ screen: 'inventory' }, navigate)} aria-current={route.screen === 'inventory' ? 'page' : undefined}>
          Inventory
        </a>
        <a {...linkProps({ screen: 'projections' }, navigate)} aria-current={route.screen === 'projections' ? 'page' : undefined}>
          Projections
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
  );
}
