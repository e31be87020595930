import {
  getIntrospectionQuery,
  parse as parseDocument,
  print,
  specifiedRules,
  validate as validateDocument,
  type DocumentNode,
} from 'graphql';
import { envelop, useSchema, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import * as dashboardDocuments from '../dashboard/src/gql/graphql.js';
import { loadConfig } from '../src/config.js';
import { FEATURES } from '../src/features.js';
import { buildSchema } from '../src/graphql/schema.js';
import { LIMIT_CODES, operationLimitPlugins } from '../src/graphql/security/operationLimits.js';

const schema = buildSchema(FEATURES);
// Every feature's GraphiQL tabs, in the order the page shows them.
const GRAPHIQL_EXAMPLES = FEATURES.flatMap((feature) => feature.examples ?? []);

/** Parses and validates `source` with the limit plugins of a configuration, as Yoga would. */
function check(source: string, env: Record<string, string> = {}) {
  // graphql-js as the engine, the way Yoga registers it.
  const engine: Plugin = {
    onParse: ({ setParseFn }) => setParseFn(parseDocument),
    onValidate: ({ setValidationFn, addValidationRule }) => {
      setValidationFn(validateDocument);
      specifiedRules.forEach(addValidationRule);
    },
  };
  const { parse, validate } = envelop({
    plugins: [engine, useSchema(schema), ...operationLimitPlugins(loadConfig({ NODE_ENV: 'test', ...env }))],
  })();
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    return [error as { message: string; extensions?: Record<string, unknown> }];
  }
  return validate(schema, document);
}

const dashboard = Object.entries(dashboardDocuments).filter(([name]) => name.endsWith('Document')) as [string, DocumentNode][];

describe('default operation limits', () => {
  it.each(GRAPHIQL_EXAMPLES.map((e) => [e.title, e.query]))('let the GraphiQL example tab %s through', (_title, query) => {
    expect(check(query)).toEqual([]);
  });

  it('have dashboard operations to check', () => expect(dashboard.length).toBeGreaterThan(3));

  it.each(dashboard)('let the dashboard operation %s through', (_name, document) => {
    expect(check(print(document))).toEqual([]);
  });

  it('let the full introspection query through', () => {
    expect(
      check(
        getIntrospectionQuery({
          descriptions: true,
          specifiedByUrl: true,
          directiveIsRepeatable: true,
          schemaDescription: true,
          inputValueDeprecation: true,
        }),
      ),
    ).toEqual([]);
  });
});

describe('operation limits', () => {
  it('report a broken bound with its code and the bound, in place of Armor\'s "Syntax Error"', () => {
    const [error] = check('{ a: headPosition b: headPosition }', { GRAPHQL_MAX_ALIASES: '1' });
    expect(error).toMatchObject({
      message: expect.not.stringContaining('Syntax Error'),
      extensions: { code: LIMIT_CODES.aliases, max: 1 },
    });
  });

  it('refuse introspection and hide suggestions when introspection is off', () => {
    expect(check('{ __schema { queryType { name } } }', { GRAPHQL_INTROSPECTION: 'false' })[0]!.message).toMatch(/introspection/);
    expect(check('{ headPositio }', { GRAPHQL_INTROSPECTION: 'false' })[0]!.message).toBe(
      'Cannot query field "headPositio" on type "Query".',
    );
  });
});

describe('query cost', () => {
  /** The estimate of `source`, read from the rejection of a limit it must break. */
  const costOf = (source: string): number => {
    const [error] = check(source, { GRAPHQL_MAX_COST: '1' });
    expect(error?.extensions?.code).toBe(LIMIT_CODES.cost);
    return Number(/found (\d+)/.exec(error!.message)![1]);
  };
  const page = (args: string) => `{ orders${args} { edges { node { id items { sku } } } } }`;

  it('scales a connection with first or last, and prices a connection without them at the default page', () => {
    expect(costOf(page('(first: 100)'))).toBeGreaterThan(costOf(page('(first: 10)')) * 9);
    expect(costOf(page('(first: 10)'))).toBeGreaterThan(costOf(page('(first: 1)')) * 5);
    expect(costOf(page('(last: 50)'))).toBe(costOf(page('(first: 50)')));
    expect(costOf(page(''))).toBe(costOf(page('(first: 20)')));
  });

  it('prices first given by a variable at its default, else at the largest page', () => {
    expect(costOf(`query($n: Int) ${page('(first: $n)')}`)).toBe(costOf(page('(first: 100)')));
    expect(costOf(`query($n: Int = 5) ${page('(first: $n)')}`)).toBe(costOf(page('(first: 5)')));
  });

  it("refuses large pages across a request's connections while small ones pass, a first given by a variable too", () => {
    const connection = (first: string) =>
      `orders(first: ${first}) { edges { node { id status items { sku name quantity } history { type data } } } }`;
    const query = (first: string, head = '') =>
      `query${head} { ${'abcdefghij'
        .split('')
        .map((alias) => `${alias}: ${connection(first)}`)
        .join(' ')} }`;
    expect(check(query('2'))).toEqual([]);
    expect(check(query('100'))[0]?.extensions).toMatchObject({ code: LIMIT_CODES.cost, max: 50_000 });
    expect(check(query('$n', '($n: Int)'))[0]?.extensions).toMatchObject({ code: LIMIT_CODES.cost, max: 50_000 });
  });

  it("weighs an order's history by the entries it can return: 100 when not asked for fewer", () => {
    const history = (args: string) => costOf(`{ order(id: "o") { id history${args} { type data } } }`);
    const one = history('(first: 1)');
    expect(history('')).toBe(history('(first: 100)'));
    expect(history('')).toBeGreaterThan(50 * one);
    expect(history('(first: 10)')).toBeLessThan(history(''));
  });

  it('counts orderAt as an expensive field', () => {
    const plain = costOf('{ order(id: "o") { id status } }');
    const timeTravel = costOf('{ orderAt(id: "o", version: 1) { id status } }');
    expect(timeTravel - plain).toBeGreaterThanOrEqual(1_000);
  });
});
