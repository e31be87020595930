/**
 * The largest amount of cents or units the API can carry: GraphQL `Int` is a signed 32-bit integer,
 * so no total, price or stock level may ever exceed it (a committed value that cannot be shown
 * would make every later answer about that order or product fail).
 */
export const MAX_INT32 = 2_147_483_647;
