import {
  getNamedType,
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { FieldError } from '../../domain/errors.js';

/**
 * No String or ID in the arguments of a query or subscription field may be longer than this: lookup
 * ids, skus, cursors, `consistentWith`, and any argument added later are refused before a resolver,
 * the database or a log line sees them. Mutations are left to their commands, which validate every
 * field with tighter bounds (src/commands/validation.ts) and answer VALIDATION_FAILED in their
 * result union, like every other rejection of a command.
 */
export const MAX_ARGUMENT_STRING_LENGTH = 1_000;

function tooLong(type: GraphQLInputType, value: unknown, path: string, found: FieldError[]): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return tooLong(type.ofType, value, path, found);
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((item, i) => tooLong(type.ofType, item, `${path}.${i}`, found));
    return;
  }
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields()))
      tooLong(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`, found);
    return;
  }
  if (isScalarType(type) && typeof value === 'string' && value.length > MAX_ARGUMENT_STRING_LENGTH) {
    found.push({ path, message: `must be at most ${MAX_ARGUMENT_STRING_LENGTH} characters` });
  }
}

/** A text-holding argument of a query or subscription field, as written in the document. */
interface ArgumentSite {
  path: string;
  type: GraphQLInputType;
  value: ValueNode;
}

/** Per document (Yoga caches parsed documents, so this is computed once per distinct operation). */
interface DocumentBounds {
  /** Over-long literals: known from the document alone. */
  literalErrors: FieldError[];
  /** Arguments that use variables: checked against each request's variables. */
  withVariables: ArgumentSite[];
}

const boundsByDocument = new WeakMap<DocumentNode, DocumentBounds>();

function boundsOf(schema: GraphQLSchema, document: DocumentNode): DocumentBounds {
  const cached = boundsByDocument.get(document);
  if (cached) return cached;
  const bounds: DocumentBounds = { literalErrors: [], withVariables: [] };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const argument = typeInfo.getArgument();
        const field = typeInfo.getFieldDef();
        if (!argument || !field || !mayHoldText(argument.type) || typeInfo.getParentType() === schema.getMutationType()) return;
        const site = { path: `${field.name}.${argument.name}`, type: argument.type, value: node.value };
        if (usesVariables(node.value)) bounds.withVariables.push(site);
        else tooLong(site.type, valueFromAST(site.value, site.type), site.path, bounds.literalErrors);
      },
    }),
  );
  boundsByDocument.set(document, bounds);
  return bounds;
}

function usesVariables(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(usesVariables);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => usesVariables(f.value));
  return false;
}

/** Every argument (literal or variable, nested in input objects) of `document` whose text is too long. */
export function overlongArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): FieldError[] {
  const { literalErrors, withVariables } = boundsOf(schema, document);
  if (withVariables.length === 0) return literalErrors;
  const found = [...literalErrors];
  for (const site of withVariables) tooLong(site.type, valueFromAST(site.value, site.type, variables ?? undefined), site.path, found);
  return found;
}

/** Skips the walk for arguments that cannot hold text (Int, Boolean, enums). */
function mayHoldText(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return isInputObjectType(named) || named.name === 'String' || named.name === 'ID';
}

const rejection = (fieldErrors: FieldError[]) =>
  new GraphQLError(`invalid arguments: ${fieldErrors.map((e) => `${e.path} ${e.message}`).join('; ')}`, {
    extensions: { code: 'VALIDATION_FAILED', fieldErrors },
  });

/** Refuses, before executing anything, an operation with an over-long String or ID argument (VALIDATION_FAILED). */
export function useArgumentBounds(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const found = overlongArguments(args.schema, args.document, args.variableValues);
      if (found.length > 0) setResultAndStopExecution({ errors: [rejection(found)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const found = overlongArguments(args.schema, args.document, args.variableValues);
      if (found.length > 0) setResultAndStopExecution({ errors: [rejection(found)] });
    },
  };
}
