import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import { costLimitRule } from './operationCost.js';
import { useHiddenSuggestions } from './hiddenSuggestions.js';

/** The `extensions.code` of each operation limit's rejection. */
export const LIMIT_CODES = {
  depth: 'QUERY_TOO_DEEP',
  cost: 'QUERY_TOO_COSTLY',
  aliases: 'TOO_MANY_ALIASES',
  tokens: 'TOO_MANY_TOKENS',
  directives: 'TOO_MANY_DIRECTIVES',
} as const;

/**
 * Armor's own errors carry no `code` and start with "Syntax Error:"; each rejection is reported
 * instead as a GraphQL error with a machine-readable code and the bound it broke.
 */
function rejectWith(code: string, max: number): GraphQLArmorRejectCallback {
  return (context, error) => {
    const rejection = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code, max } });
    // Validation rules report through the validation context; the token counter runs inside the
    // parser, which has no context, so there the rejection is thrown (a 400 like any syntax error).
    if (context) context.reportError(rejection);
    else throw rejection;
  };
}

/**
 * GraphQL Armor's limits as Envelop plugins, so they apply wherever Yoga's envelop runs: HTTP and
 * graphql-ws (app.ts goes through `yoga.getEnveloped`). Introspection queries are exempt from
 * depth and cost (GraphiQL's schema query is deep), not from tokens and aliases.
 */
export function operationLimitPlugins(config: Config): Plugin[] {
  const { maxDepth, maxCost, maxAliases, maxTokens, maxDirectives } = config.graphqlLimits;
  const options = (code: string, max: number) => ({ propagateOnRejection: false, onReject: [rejectWith(code, max)] });
  const armor = EnvelopArmorPlugin({
    maxTokens: { n: maxTokens, ...options(LIMIT_CODES.tokens, maxTokens) },
    // Fragments (the `... on XSuccess` of every command result) do not count as a level.
    maxDepth: { n: maxDepth, flattenFragments: true, ...options(LIMIT_CODES.depth, maxDepth) },
    // Armor's estimate multiplies only by a literal `first`/`last`: ours (operationCost.ts) also
    // prices a variable one, a connection's default page and the fields that fold events.
    costLimit: { enabled: false },
    maxAliases: { n: maxAliases, ...options(LIMIT_CODES.aliases, maxAliases) },
    maxDirectives: { n: maxDirectives, ...options(LIMIT_CODES.directives, maxDirectives) },
    // Covers field suggestions only: useHiddenSuggestions takes every suggestion out instead.
    blockFieldSuggestion: { enabled: false },
  }) as Plugin;
  const rejectCost = rejectWith(LIMIT_CODES.cost, maxCost);
  const cost: Plugin = {
    onValidate: ({ addValidationRule }) =>
      addValidationRule(costLimitRule(maxCost, (context, message) => rejectCost(context, new GraphQLError(message)))),
  };
  if (config.introspection) return [armor, cost];
  // With introspection off, "Did you mean …?" in error messages would leak the schema instead.
  return [
    armor,
    cost,
    { onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) },
    useHiddenSuggestions(),
  ];
}
