import { requireNoRefusedToken } from '../auth/actor.js';
import type { Builder } from '../graphql/builder.js';
import { consistentWithArg, readConsistently } from '../graphql/consistency.js';
import { keysetConnection } from '../graphql/cursors.js';
import { readDbOf } from '../graphql/readRouting.js';
import { productTypes } from './productTypes.js';
import { productViewFromRow, type ProductView } from './productView.js';

const INVENTORY = ['inventory'] as const;

/** Adds this slice's GraphQL to a schema builder. */
export function productQueries(builder: Builder): void {
  const { ProductConnection, ProductType } = productTypes(builder);
  builder.queryFields((t) => ({
    product: t.field({
      type: ProductType,
      nullable: true,
      description: 'A catalog entry and its stock (anyone may read the catalog).',
      args: { sku: t.arg.string({ required: true }), consistentWith: t.arg.string(consistentWithArg) },
      resolve: async (_root, args, ctx) => {
        requireNoRefusedToken(ctx.auth);
        await readConsistently(ctx, INVENTORY, args.consistentWith);
        const row = await readDbOf(ctx).prisma.inventoryItem.findUnique({ where: { sku: args.sku } });
        return row && productViewFromRow(row);
      },
    }),
    products: t.connection(
      {
        type: ProductType,
        description: 'The catalog, by sku.',
        args: { consistentWith: t.arg.string(consistentWithArg) },
        resolve: async (_root, args, ctx) => {
          requireNoRefusedToken(ctx.auth);
          await readConsistently(ctx, INVENTORY, args.consistentWith);
          const { prisma } = readDbOf(ctx);
          return keysetConnection(
            args,
            { of: (p: ProductView) => [p.sku], isValid: (key) => key.length === 1 && typeof key[0] === 'string' },
            async ({ after, before, limit, inverted }) => {
              const sku = { ...(after ? { gt: String(after[0]) } : {}), ...(before ? { lt: String(before[0]) } : {}) };
              const rows = await prisma.inventoryItem.findMany({
                where: { sku },
                orderBy: { sku: inverted ? 'desc' : 'asc' },
                take: limit,
              });
              return rows.map(productViewFromRow);
            },
            () => prisma.inventoryItem.count(),
          );
        },
      },
      ProductConnection,
    ),
  }));
}
