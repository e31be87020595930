import { definedOnce } from '../graphql/builder.js';
import type { ProductView } from './productView.js';

/** The slice's shared types, defined once per schema builder. */
export const productTypes = definedOnce((builder) => {
  const ProductType = builder.objectRef<ProductView>('Product').implement({
    description: 'A catalog entry and its stock.',
    fields: (t) => ({
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      priceCents: t.exposeInt('priceCents'),
      onHand: t.exposeInt('onHand', { description: 'Units in the warehouse.' }),
      reserved: t.exposeInt('reserved', { description: 'Units promised to submitted orders, not yet shipped.' }),
      available: t.exposeInt('available', { description: 'onHand - reserved: what can still be sold.' }),
    }),
  });

  const ProductConnection = builder.connectionObject({ type: ProductType, name: 'ProductConnection' }, { name: 'ProductEdge' });
  return { ProductType, ProductConnection };
});
