import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from './context.js';

/** The one Pothos builder. It defines no types itself; each slice adds its own. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
});

builder.queryType({});
