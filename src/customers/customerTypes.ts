import { builder } from '../graphql/builder.js';
import type { CustomerView } from './customerView.js';

export const CustomerType = builder.objectRef<CustomerView>('Customer').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the `sub` of this customer\'s tokens.' }),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
  }),
});
