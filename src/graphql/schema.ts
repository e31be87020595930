import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './errorTypes.js';
import './projectionQueries.js';

let built: GraphQLSchema | undefined;

/** A part of the schema (a feature), as far as building the schema needs it. */
export interface SchemaPart {
  readonly name: string;
}

/**
 * The executable schema: the shared types above plus every feature's. A feature registers its
 * types on the builder when its module is loaded, so the features are passed in: having them in
 * hand means they were loaded. Built once per process (the builder is shared).
 */
export function buildSchema(features: readonly SchemaPart[]): GraphQLSchema {
  if (features.length === 0) throw new Error('a schema needs at least one feature');
  return (built ??= builder.toSchema());
}

/** The SDL checked in as schema.graphql (sorted, so the file diffs cleanly). */
export function printSortedSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
