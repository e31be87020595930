import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { DomainError } from '../domain/errors.js';
import type { GraphQLContext } from './context.js';

/**
 * A new Pothos builder with the scalars, the root types and the connections' `totalCount`. It
 * defines no other type: `buildSchema` makes one per schema and hands it to each part of the schema
 * (the generic types, then each feature's `graphql`), so a schema holds the features it is built from.
 */
export function createBuilder() {
  const builder = new SchemaBuilder<{
    Context: GraphQLContext;
    DefaultFieldNullability: false;
    Scalars: {
      DateTime: { Input: Date; Output: Date | string };
      JSON: { Input: unknown; Output: unknown };
    };
    // Every connection counts its matches, but only when `totalCount` is asked for.
    Connection: { totalCount: () => Promise<number> };
    DefaultEdgesNullability: false;
    DefaultNodeNullability: false;
  }>({
    plugins: [ErrorsPlugin, RelayPlugin],
    defaultFieldNullability: false,
    relay: {
      nodeQueryOptions: false,
      nodesQueryOptions: false,
      edgesFieldOptions: { nullable: false },
      nodeFieldOptions: { nullable: false },
    },
    errors: {
      // Every DomainError a resolver throws becomes a typed member of its field's result union (the
      // specific classes each field lists first, this base class as the catch-all). Anything else is
      // an unexpected error and is masked.
      defaultTypes: [DomainError],
      directResult: true,
    },
  });

  builder.addScalarType('DateTime', DateTimeResolver);
  builder.addScalarType('JSON', JSONResolver);
  builder.queryType({});
  builder.mutationType({});
  builder.globalConnectionField('totalCount', (t) =>
    t.int({ description: 'How many items match, across all pages.', resolve: (connection) => connection.totalCount() }),
  );
  return builder;
}

/** The schema builder every part of the schema adds its types and fields to. */
export type Builder = ReturnType<typeof createBuilder>;

/** The builder's resolved type configuration, for helpers that take Pothos refs. */
export type BuilderTypes = Builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * Types several parts of a schema use (an `Order`, the `Error` interface): defined on a builder by
 * the first part that asks for them, and the same refs handed to every later one.
 */
export function definedOnce<T>(define: (builder: Builder) => T): (builder: Builder) => T {
  const made = new WeakMap<Builder, T>();
  return (builder) => {
    if (!made.has(builder)) made.set(builder, define(builder));
    return made.get(builder)!;
  };
}

/** The Subscription root type, added by the first part with a subscription field. */
export const subscriptionRoot = definedOnce((builder) => {
  builder.subscriptionType({});
});
