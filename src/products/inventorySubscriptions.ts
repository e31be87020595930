import { requireNoRefusedToken } from '../auth/actor.js';
import { subscriptionRoot, type Builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { changeStream } from '../live/changeStream.js';
import type { InventoryChange } from './inventoryChanges.js';
import { productTypes } from './productTypes.js';
import { productViewFromRow } from './productView.js';

function inventoryChanges(ctx: GraphQLContext, sku: string | undefined) {
  // With a sku, the first payload is the product as it is now (the live pattern); then each change.
  // It is read inside `initial`, after the stream listens, so no change falls in between.
  const initial = async (): Promise<InventoryChange[]> => {
    const row = sku ? await ctx.services.db.prisma.inventoryItem.findUnique({ where: { sku } }) : null;
    return row ? [{ sku: row.sku, position: row.lastPosition, product: productViewFromRow(row) }] : [];
  };
  // The feed's change object is the payload itself, the same for every subscriber.
  return changeStream<InventoryChange, InventoryChange>({
    feed: ctx.services.liveFeed,
    event: sku ? `product:${sku}` : 'product',
    field: 'inventoryChanged',
    initial,
    map: (change) => change,
    auth: ctx.auth,
    delivery: ctx.liveDelivery,
  });
}

/** Adds this slice's GraphQL to a schema builder. */
export function inventorySubscriptions(builder: Builder): void {
  const { ProductType } = productTypes(builder);
  subscriptionRoot(builder);
  builder.subscriptionField('inventoryChanged', (t) =>
    t.field({
      type: ProductType,
      description: "A product's stock as it changes (with `sku`: that product, starting with its current state; without: every product).",
      args: { sku: t.arg.string({ required: false }) },
      subscribe: (_root, args, ctx) => {
        requireNoRefusedToken(ctx.auth);
        return inventoryChanges(ctx, args.sku ?? undefined);
      },
      resolve: (change) => change.product,
    }),
  );
}
