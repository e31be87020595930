import { getIntrospectionQuery, parse as parseDocument, print, specifiedRules, validate as validateDocument, type DocumentNode } from 'graphql';
import { envelop, useSchema, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import * as dashboardDocuments from '../../../dashboard/src/gql/graphql.js';
import { loadConfig } from '../../config.js';
import { GRAPHIQL_EXAMPLES } from '../graphiqlExamples.js';
import { FEATURES } from '../../features.js';
import { buildSchema } from '../schema.js';
import { LIMIT_CODES, operationLimitPlugins } from './operationLimits.js';

const schema = buildSchema(FEATURES);

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
  const { parse, validate } = envelop({ plugins: [engine, useSchema(schema), ...operationLimitPlugins(loadConfig({ NODE_ENV: 'test', ...env }))] })();
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
    expect(check(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }))).toEqual([]);
  });
});

describe('operation limits', () => {
  it('report a broken bound with its code and the bound, in place of Armor\'s "Syntax Error"', () => {
    const [error] = check('{ a: headPosition b: headPosition }', { GRAPHQL_MAX_ALIASES: '1' });
    expect(error).toMatchObject({ message: expect.not.stringContaining('Syntax Error'), extensions: { code: LIMIT_CODES.aliases, max: 1 } });
  });

  it('refuse introspection and hide suggestions when introspection is off', () => {
    expect(check('{ __schema { queryType { name } } }', { GRAPHQL_INTROSPECTION: 'false' })[0]!.message).toMatch(/introspection/);
    expect(check('{ headPositio }', { GRAPHQL_INTROSPECTION: 'false' })[0]!.message).toBe('Cannot query field "headPositio" on type "Query".');
  });
});
