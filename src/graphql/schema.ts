import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import '../system/systemQueries.js';

/** The executable schema, built once from every slice's types. */
export const schema: GraphQLSchema = builder.toSchema();

/** The SDL checked in as schema.graphql (sorted, so the file diffs cleanly). */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
