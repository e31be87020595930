import { requireNoRefusedToken } from '../auth/actor.js';
import { builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { changeStream, mapChanges } from '../live/changeStream.js';
import type { InventoryChange } from '../live/liveFeed.js';
import { ProductType } from './productTypes.js';
import type { ProductView } from './productView.js';

async function productView(ctx: GraphQLContext, sku: string): Promise<(ProductView & { position: bigint }) | undefined> {
  const row = await ctx.db.prisma.inventoryItem.findUnique({ where: { sku } });
  return row
    ? { sku: row.sku, name: row.name, priceCents: row.priceCents, onHand: row.onHand, reserved: row.reserved, available: row.onHand - row.reserved, position: row.lastPosition }
    : undefined;
}

function inventoryChanges(ctx: GraphQLContext, sku: string | undefined) {
  // With a sku, the first payload is the product as it is now (the live pattern); then each change.
  // It is read inside `initial`, after the stream listens, so no change falls in between.
  let current: Awaited<ReturnType<typeof productView>>;
  const initial = async (): Promise<InventoryChange[]> => {
    current = sku ? await productView(ctx, sku) : undefined;
    return current ? [{ sku: current.sku, position: current.position }] : [];
  };
  const stream = changeStream<InventoryChange>(ctx.liveFeed, sku ? `product:${sku}` : 'product', initial, ctx.auth);
  return mapChanges<InventoryChange, ProductView>(stream, async () => {}, async (change) =>
    current && change.position === current.position ? current : productView(ctx, change.sku),
  );
}

builder.subscriptionField('inventoryChanged', (t) =>
  t.field({
    type: ProductType,
    description: 'A product\'s stock as it changes (with `sku`: that product, starting with its current state; without: every product).',
    args: { sku: t.arg.string({ required: false }) },
    subscribe: (_root, args, ctx) => {
      requireNoRefusedToken(ctx.auth);
      return inventoryChanges(ctx, args.sku ?? undefined);
    },
    resolve: (product) => product,
  }),
);
