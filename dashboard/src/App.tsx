import { ApolloProvider } from '@apollo/client/react';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { CustomerOrders } from './CustomerOrders.js';
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
import { WebhooksPage } from './WebhooksPage.js';

export function App() {
  const [token, setToken] = useState(initialToken);
  const [reason, setReason] = useState<string>();
  const signOut = useCallback((why?: string) => {
    forgetToken();
    setToken(null);
    setReason(why);
  }, []);
  // The role picks the screens (staff's back office, or a customer's own orders) and turns away a
  // token that has neither early; what the token may do is still the server's to decide.
  const role = token ? readClaims(token)?.role : undefined;
  const refusal =
    token && role !== 'staff' && role !== 'admin' && role !== 'customer'
      ? `This token's role is ${role ?? 'missing'}: the dashboard needs a staff, admin or customer token.`
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
  return <Dashboard key={token} token={token} customer={role === 'customer'} onSignOut={signOut} />;
}

function Dashboard({ token, customer, onSignOut }: { token: string; customer: boolean; onSignOut: (reason?: string) => void }) {
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
  const isAdmin = readClaims(token)?.role === 'admin';

  if (customer) {
    return (
      <ApolloProvider client={client.apollo}>
        <Header token={token} connection={client.connection} onSignOut={() => onSignOut()} />
        <main className="content">
          <CustomerOrders onRefused={onSignOut} />
        </main>
      </ApolloProvider>
    );
  }
  return (
    <ApolloProvider client={client.apollo}>
      <Header token={token} screens={{ route, navigate, isAdmin }} connection={client.connection} onSignOut={() => onSignOut()} />
      <main className={route.screen === 'orders' && route.orderId ? 'content split' : 'content'}>
        {route.screen === 'inventory' ? (
          <InventoryTable onRefused={onSignOut} />
        ) : route.screen === 'projections' ? (
          <ProjectionsPanel isAdmin={isAdmin} onRefused={onSignOut} />
        ) : route.screen === 'webhooks' ? (
          isAdmin ? (
            <WebhooksPage onRefused={onSignOut} />
          ) : (
            <p className="notice" data-testid="admin-only">
              Webhooks are managed with an admin token.
            </p>
          )
        ) : (
          <>
            <SalesChart onRefused={onSignOut} />
            <div className="stack">
              <OrderSearch navigate={navigate} onRefused={onSignOut} />
              <OrdersTable selectedId={route.orderId} navigate={navigate} onRefused={onSignOut} />
            </div>
            {route.orderId && (
              <OrderTimeline key={route.orderId} orderId={route.orderId} actions navigate={navigate} onRefused={onSignOut} />
            )}
          </>
        )}
      </main>
    </ApolloProvider>
  );
}

const CONNECTION_LABEL = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…' } as const;

function Header({
  token,
  screens,
  connection,
  onSignOut,
}: {
  token: string;
  /** Staff's screens, linked in the header (a customer has one screen). */
  screens?: { route: Route; navigate: (route: Route) => void; isAdmin: boolean };
  connection: ConnectionStore;
  onSignOut: () => void;
}) {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  const claims = readClaims(token);
  return (
    <header className="topbar">
      <span className="brand">Ordersource</span>
      {screens && <StaffNav {...screens} />}
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

function StaffNav({ route, navigate, isAdmin }: { route: Route; navigate: (route: Route) => void; isAdmin: boolean }) {
  return (
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
      {isAdmin && (
        <a {...linkProps({ screen: 'webhooks' }, navigate)} aria-current={route.screen === 'webhooks' ? 'page' : undefined}>
          Webhooks
        </a>
      )}
    </nav>
  );
}
