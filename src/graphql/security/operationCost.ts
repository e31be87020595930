import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type VariableDefinitionNode,
} from 'graphql';

/** Weights of the estimate: GraphQL Armor's (an object 2, a scalar 1, each level 1.5 times its parent). */
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;
/** The page size of a connection asked for without `first`/`last`, and the largest one allowed. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * Fields whose work is not told by their selection: `orderAt` folds an order's events (from a
 * snapshot when one helps, still up to a few hundred events) where other reads fetch a row.
 */
export const EXPENSIVE_FIELD_COST: Readonly<Record<string, number>> = { orderAt: 1_000 };

/**
 * How many items a field returns at most: `first`/`last` on a field that takes them (a literal,
 * else a variable's default, else the largest page, since a variable's value is not known during
 * validation); when neither is given, the default its schema declares for `first` (a list paged
 * without a connection, such as an order's history), else the default page size; 1 for any other
 * field.
 */
function pageSize(
  field: FieldNode,
  definition: GraphQLField<unknown, unknown> | undefined,
  variables: readonly VariableDefinitionNode[],
): number {
  if (!definition?.args.some((a) => a.name === 'first' || a.name === 'last')) return 1;
  let size: number | undefined;
  for (const arg of field.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    let value = arg.value;
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      value = variables.find((v) => v.variable.name.value === name)?.defaultValue ?? value;
    }
    const n = value.kind === Kind.INT ? Number.parseInt(value.value, 10) : value.kind === Kind.NULL ? undefined : MAX_PAGE_SIZE;
    if (n !== undefined) size = Math.max(size ?? 0, n);
  }
  const declared = definition.args.find((a) => a.name === 'first')?.defaultValue;
  const unasked = typeof declared === 'number' ? declared : DEFAULT_PAGE_SIZE;
  // `first: 0` still costs its selection once: the connection's own fields are resolved.
  return Math.max(1, Math.min(size ?? unasked, MAX_PAGE_SIZE));
}

/**
 * The estimated cost of an operation: GraphQL Armor's estimate, with each field's cost (its own
 * and its selection's) multiplied by its page size and expensive fields weighted. Fragments do not
 * count as a level; `__schema` costs nothing (GraphiQL's introspection query is deep).
 */
export function operationCost(context: ValidationContext, operation: OperationDefinitionNode): number {
  const schema = context.getSchema();
  const variables = operation.variableDefinitions ?? [];
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const visiting = new Set<string>();

  function selectionCost(set: SelectionSetNode, parent: GraphQLNamedType | undefined | null): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) cost += DEPTH_FACTOR * fieldCost(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += selectionCost(selection.selectionSet, type);
      } else {
        const fragment = context.getFragment(selection.name.value);
        // A fragment that spreads itself is another rule's error; count it once.
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        cost += selectionCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
        visiting.delete(fragment.name.value);
      }
    }
    return cost;
  }

  function fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined | null): number {
    const name = field.name.value;
    if (name === '__schema') return 0;
    const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    const own = EXPENSIVE_FIELD_COST[name] ?? 0;
    if (!field.selectionSet) return SCALAR_COST + own;
    const type = definition ? getNamedType(definition.type) : undefined;
    return (OBJECT_COST + own + selectionCost(field.selectionSet, type)) * pageSize(field, definition, variables);
  }

  // The root fields are the first level: they are not multiplied by the depth factor.
  return operation.selectionSet.selections.reduce(
    (sum, s) => sum + selectionCost({ kind: Kind.SELECTION_SET, selections: [s] }, root) / DEPTH_FACTOR,
    0,
  );
}

/** A validation rule reporting, through `reject`, an operation whose estimated cost is over `maxCost`. */
export function costLimitRule(maxCost: number, reject: (context: ValidationContext, message: string) => void) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const cost = operationCost(context, operation);
      if (cost > maxCost) reject(context, `Query Cost limit of ${maxCost} exceeded, found ${Math.round(cost)}.`);
    },
  });
}
