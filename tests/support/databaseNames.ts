/** The migrated database every test database is cloned from. */
export const TEMPLATE_DATABASE = 'ordersource_test_template';

/** The same server URL pointed at another database. */
export function serverUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
