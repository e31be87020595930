import { EmailTakenError } from '../domain/errors.js';
import { commandMutation } from '../graphql/commandTypes.js';
import { registerCustomer } from './customerCommands.js';
import { CustomerType } from './customerTypes.js';

commandMutation({
  name: 'registerCustomer',
  description: 'Registers a customer (anyone may). The answer carries a customer token for the new customer.',
  definition: registerCustomer,
  onExistingAggregate: false,
  input: (t) => ({ name: t.string({ required: true }), email: t.string({ required: true }) }),
  entity: { field: 'customer', type: CustomerType },
  errors: [EmailTakenError],
  successFields: {
    token: { description: 'A bearer token (role customer) for the new customer: send it as `Authorization: Bearer <token>`.', resolve: (c) => c.token },
  },
});
