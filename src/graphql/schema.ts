import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './errorTypes.js';
import '../system/systemQueries.js';
import '../customers/customerMutations.js';
import '../products/productMutations.js';
import '../orders/orderMutations.js';
import '../orders/orderQueries.js';
import '../customers/customerQueries.js';
import '../products/productQueries.js';
import '../projections/projectionQueries.js';
import '../orders/orderSubscriptions.js';
import '../products/inventorySubscriptions.js';

/** The executable schema, built once from every slice's types. */
export const schema: GraphQLSchema = builder.toSchema();

/** The SDL checked in as schema.graphql (sorted, so the file diffs cleanly). */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
