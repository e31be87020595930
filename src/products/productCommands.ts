import { z } from 'zod';
import { requireStaff } from '../auth/actor.js';
import { loadAggregate, planAppend } from '../commands/loadAggregate.js';
import type { CommandDefinition, CommandEnv } from '../commands/pipeline.js';
import { bounded } from '../commands/validation.js';
import { decideProduct, productAggregate, productStreamId } from './productDecider.js';
import type { ProductCommand, ProductState } from './productEvents.js';
import { productViewFromState, type ProductView } from './productView.js';

async function planProductCommand(sku: string, command: ProductCommand, env: CommandEnv) {
  const product = await loadAggregate(env.services.eventStore, productStreamId(sku), productAggregate);
  const append = planAppend(product, decideProduct(command, product.state), env.now.toISOString());
  return { aggregateId: sku, appends: [append] as [typeof append], entity: productViewFromState(append.stateAfter as ProductState) };
}

async function replayProduct(sku: string, version: number, env: CommandEnv): Promise<ProductView> {
  return productViewFromState((await loadAggregate(env.services.eventStore, productStreamId(sku), productAggregate, version)).state);
}

type AddProductInput = { sku: string; name: string; priceCents: number; initialStock: number };

export const addProduct: CommandDefinition<AddProductInput, ProductView> = {
  name: 'addProduct',
  input: z.object({ sku: bounded.sku, name: bounded.name, priceCents: bounded.cents, initialStock: bounded.stock }),
  authorize: requireStaff,
  plan: (input, env) => planProductCommand(input.sku, { type: 'AddProduct', ...input }, env),
  replay: replayProduct,
};

export const restockProduct: CommandDefinition<{ sku: string; quantity: number }, ProductView> = {
  name: 'restockProduct',
  input: z.object({ sku: bounded.sku, quantity: bounded.restock }),
  authorize: requireStaff,
  plan: (input, env) => planProductCommand(input.sku, { type: 'RestockProduct', quantity: input.quantity }, env),
  replay: replayProduct,
};
