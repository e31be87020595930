import { definedOnce } from '../graphql/builder.js';
import type { CustomerView } from './customerView.js';

/** The slice's shared types, defined once per schema builder. */
export const customerTypes = definedOnce((builder) => {
  const CustomerType = builder.objectRef<CustomerView>('Customer').implement({
    fields: (t) => ({
      id: t.exposeID('id', { description: "Also the `sub` of this customer's tokens." }),
      name: t.exposeString('name', { nullable: true, description: 'Null once the customer is forgotten.' }),
      email: t.exposeString('email', { nullable: true, description: 'Null once the customer is forgotten.' }),
      forgotten: t.exposeBoolean('forgotten', {
        description: 'True once the customer asked to be forgotten (`forgetCustomer`): their name and email are erased.',
      }),
    }),
  });
  return { CustomerType };
});
