import { NotFoundError, SkuTakenError } from '../domain/errors.js';
import { commandMutation, entityAtPosition, type CommandSuccessFields } from '../graphql/commandTypes.js';
import type { Builder } from '../graphql/builder.js';
import { addProduct, restockProduct } from './productCommands.js';
import { productTypes } from './productTypes.js';
import type { ProductView } from './productView.js';

/** Adds this slice's GraphQL to a schema builder. */
export function productMutations(builder: Builder): void {
  const { ProductType } = productTypes(builder);
  /** Both catalog commands answer with the product as the command left it. */
  const success: CommandSuccessFields<ProductView> = (t) => ({ product: t.field({ type: ProductType, resolve: entityAtPosition }) });
  commandMutation(builder, {
    name: 'addProduct',
    description: 'Adds a product to the catalog (staff). The sku is its id.',
    definition: addProduct,
    onExistingAggregate: false,
    input: (t) => ({
      sku: t.string({ required: true }),
      name: t.string({ required: true }),
      priceCents: t.int({ required: true }),
      initialStock: t.int({ required: true }),
    }),
    success,
    errors: [SkuTakenError],
  });

  commandMutation(builder, {
    name: 'restockProduct',
    description: "Adds units to a product's stock (staff).",
    definition: restockProduct,
    onExistingAggregate: true,
    input: (t) => ({ sku: t.string({ required: true }), quantity: t.int({ required: true }) }),
    success,
    errors: [NotFoundError],
  });
}
