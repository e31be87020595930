import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { verifyAccessToken } from '../src/auth/tokens.js';
import { graphiqlOptions } from '../src/graphql/graphiql.js';
import { FEATURES } from '../src/features.js';
import { buildSchema } from '../src/graphql/schema.js';

const schema = buildSchema(FEATURES);
// Every feature's GraphiQL tabs, in the order the page shows them.
const GRAPHIQL_EXAMPLES = FEATURES.flatMap((feature) => feature.examples ?? []);

const operationsOf = (query: string) =>
  parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

describe('GraphiQL example operations', () => {
  it.each(GRAPHIQL_EXAMPLES.map((e) => [e.title, e] as const))('the %s tab validates against the schema', (_title, example) => {
    expect(validate(schema, parse(example.query)).map((e) => e.message)).toEqual([]);
  });

  it.each(GRAPHIQL_EXAMPLES.map((e) => [e.title, e] as const))(
    'the %s tab has variables every one of its operations accepts',
    (_title, example) => {
      const variables = JSON.parse(example.variables) as Record<string, unknown>;
      for (const operation of operationsOf(example.query)) {
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
        expect(coerced.errors?.map((e) => `${operation.name?.value}: ${e.message}`) ?? []).toEqual([]);
      }
    },
  );

  it('cover every mutation and subscription of the schema', () => {
    const used = new Set(
      GRAPHIQL_EXAMPLES.flatMap((e) => operationsOf(e.query)).flatMap((op) =>
        op.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '')),
      ),
    );
    const adminOnly = ['retryProjection', 'skipProjectionEvent'];
    const commands = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !adminOnly.includes(name));
    const subscriptions = Object.keys(schema.getSubscriptionType()!.getFields());
    expect([...commands, ...subscriptions].filter((name) => !used.has(name))).toEqual([]);
  });
});

describe('GraphiQL options', () => {
  it('are off outside development unless GRAPHIQL=true, and then carry no token', async () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATA_KEY_SECRET: 'y'.repeat(32) };
    expect(graphiqlOptions(loadConfig(production), GRAPHIQL_EXAMPLES)).toBe(false);
    expect(graphiqlOptions(loadConfig({ NODE_ENV: 'test' }), GRAPHIQL_EXAMPLES)).toBe(false);
    const enabled = graphiqlOptions(loadConfig({ ...production, GRAPHIQL: 'true' }), GRAPHIQL_EXAMPLES);
    if (!enabled) throw new Error('GRAPHIQL=true did not enable GraphiQL');
    expect(await enabled()).toMatchObject({ headers: '{}', defaultHeaders: '{}' });
  });

  it('prefill a staff token signed with the configured secret in development, with the examples as tabs', async () => {
    const config = loadConfig({ NODE_ENV: 'development', JWT_SECRET: 'y'.repeat(32) });
    const factory = graphiqlOptions(config, GRAPHIQL_EXAMPLES);
    if (!factory) throw new Error('GraphiQL is off in development');
    const options = await factory();
    const authorization = (JSON.parse(options.headers!) as { Authorization: string }).Authorization;
    const user = await verifyAccessToken(authorization.replace(/^Bearer /, ''), config.jwt);
    expect(user).toMatchObject({ role: 'staff', sub: 'graphiql' });
    expect((user.expiresAt ?? 0) - Date.now()).toBeGreaterThan(60 * 60 * 1000);
    expect(options.defaultTabs?.map((t) => t.query)).toEqual(GRAPHIQL_EXAMPLES.map((e) => e.query));
    expect((await factory()).headers).toBe(options.headers);
  });
});
