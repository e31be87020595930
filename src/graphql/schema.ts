import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { createBuilder, type Builder } from './builder.js';
import { errorTypes } from './errorTypes.js';
import { projectionQueries } from './projectionQueries.js';

/** A part of the schema (a feature), as far as building the schema needs it. */
export interface SchemaPart {
  readonly name: string;
  /** Adds the part's types, queries, mutations and subscriptions to the builder. */
  readonly graphql?: (builder: Builder) => void;
}

/** Built once per list of parts: every server of a process built from the same list shares it. */
const built = new WeakMap<readonly SchemaPart[], GraphQLSchema>();

/**
 * The executable schema of the parts given: the generic types (rejections, projection admin) and
 * what each part adds, on a builder of its own.
 */
export function buildSchema(parts: readonly SchemaPart[]): GraphQLSchema {
  if (parts.length === 0) throw new Error('a schema needs at least one feature');
  let schema = built.get(parts);
  if (!schema) {
    const builder = createBuilder();
    errorTypes(builder);
    projectionQueries(builder);
    for (const part of parts) part.graphql?.(builder);
    built.set(parts, (schema = builder.toSchema()));
  }
  return schema;
}

/** The SDL checked in as schema.graphql (sorted, so the file diffs cleanly). */
export function printSortedSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
