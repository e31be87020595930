import { randomUUID } from 'node:crypto';
import { signAccessToken } from '../../src/auth/tokens.js';
import type { Role } from '../../src/auth/actor.js';
import type { TestServer } from './testServer.js';

/** A GraphQL caller with a fixed identity, for end-to-end tests over real HTTP. */
export interface ApiClient {
  token?: string;
  /** Runs an operation and returns `data` (fails the test on GraphQL errors). */
  run<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function apiClient(server: TestServer, token?: string): ApiClient {
  return {
    token,
    async run(query, variables) {
      const body = await server.graphql(query, variables, token ? { authorization: `Bearer ${token}` } : {});
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data as never;
    },
  };
}

/** A client acting as `sub` with `role`, with a token signed by the server's secret. */
export async function clientAs(server: TestServer, role: Role, sub: string): Promise<ApiClient> {
  return apiClient(server, await signAccessToken({ sub, role }, server.services.config.jwt));
}

/** Fields every command result is asked for: the success shape, or any error's code and details. */
export const RESULT_FIELDS = `
  __typename
  ... on CommandSuccess { aggregateId version position events { type version position } }
  ... on Error { code message }
  ... on ValidationError { fieldErrors { path message } }
  ... on ConcurrencyConflictError { expectedVersion actualVersion }
`;

/** Extra selections for the error types only some mutations have. */
export const SHORTAGES = '... on InsufficientStockError { shortages { sku requested available } }';
export const PAYMENT_MISMATCH = '... on PaymentMismatchError { expectedAmountCents }';
export const PAYMENT_REF_TAKEN = '... on PaymentRefTakenError { paymentRef }';

export const ORDER_FIELDS = `id customerId status items { sku name quantity unitPriceCents lineTotalCents } itemCount totalCents version createdAt updatedAt`;

export const PRODUCT_FIELDS = 'sku name priceCents onHand reserved available';

/** The success type's own field, selected by default: the customer (and token), the product or the order. */
function defaultEntity(name: string, pascal: string): string {
  if (name === 'registerCustomer') return `... on ${pascal}Success { token customer { id name email } }`;
  if (name === 'forgetCustomer') return `... on ${pascal}Success { customer { id name email forgotten } }`;
  if (name === 'addProduct' || name === 'restockProduct') return `... on ${pascal}Success { product { ${PRODUCT_FIELDS} } }`;
  return `... on ${pascal}Success { order { ${ORDER_FIELDS} } }`;
}

/** `mutation { <name>(input: $input) { ...result, <entity> { ... } } }` for one command. */
export function commandMutation(name: string, extra?: string): string {
  const pascal = name[0]!.toUpperCase() + name.slice(1);
  return `mutation($input: ${pascal}Input!) { ${name}(input: $input) { ${RESULT_FIELDS} ${defaultEntity(name, pascal)} ${extra ?? ''} } }`;
}

/** Runs one command and returns its result object (`extra`: more selections, e.g. SHORTAGES). */
export async function command(
  client: ApiClient,
  name: string,
  input: Record<string, unknown>,
  extra?: string,
): Promise<Record<string, any>> {
  const data = await client.run<Record<string, Record<string, any>>>(commandMutation(name, extra), { input });
  return data[name]!;
}

/** An order id a customer may choose (customers may choose only UUIDs; staff any id). */
export const newOrderId = (): string => randomUUID();

/** An id, email part or sku no other test uses: `prefix-` and 8 random hex digits. */
export const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
