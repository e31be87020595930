import type { Builder } from '../graphql/builder.js';

/** Adds this slice's GraphQL to a schema builder. */
export function systemQueries(builder: Builder): void {
  builder.queryField('headPosition', (t) =>
    t.string({
      description:
        'The global position of the newest event in the log ("0" when empty). Pass it as `consistentWith` to read everything written so far.',
      resolve: async (_root, _args, ctx) => (await ctx.services.eventStore.headPosition()).toString(),
    }),
  );
}
