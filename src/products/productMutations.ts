import { NotFoundError, SkuTakenError } from '../domain/errors.js';
import { commandMutation } from '../graphql/commandTypes.js';
import { addProduct, restockProduct } from './productCommands.js';
import { ProductType } from './productTypes.js';

commandMutation({
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
  entity: { field: 'product', type: ProductType },
  errors: [SkuTakenError],
});

commandMutation({
  name: 'restockProduct',
  description: 'Adds units to a product\'s stock (staff).',
  definition: restockProduct,
  onExistingAggregate: true,
  input: (t) => ({ sku: t.string({ required: true }), quantity: t.int({ required: true }) }),
  entity: { field: 'product', type: ProductType },
  errors: [NotFoundError],
});
