import { describe, expect, it } from 'vitest';
import { registerCustomer } from '../src/customers/customerCommands.js';
import { ValidationError } from '../src/domain/errors.js';
import {
  addItem,
  cancelOrder,
  createOrder,
  deliverOrder,
  recordPayment,
  removeItem,
  shipOrder,
  submitOrder,
} from '../src/orders/orderCommands.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import type { CommandDefinition } from '../src/commands/pipeline.js';
import { parseCommandInput } from '../src/commands/validation.js';

// Every command with an input it accepts; each of its text fields is then spoiled in turn.
const commands: [CommandDefinition<never, unknown>, Record<string, unknown>][] = [
  [registerCustomer, { name: 'Ada', email: 'ada@example.com' }],
  [addProduct, { sku: 'SKU-1', name: 'Lamp', priceCents: 100, initialStock: 1 }],
  [restockProduct, { sku: 'SKU-1', quantity: 1 }],
  [createOrder, { customerId: 'c-1', orderId: 'o-1' }],
  [addItem, { orderId: 'o-1', sku: 'SKU-1', quantity: 1 }],
  [removeItem, { orderId: 'o-1', sku: 'SKU-1' }],
  [submitOrder, { orderId: 'o-1' }],
  [recordPayment, { orderId: 'o-1', amountCents: 100, paymentRef: 'pay-1' }],
  [shipOrder, { orderId: 'o-1', carrier: 'DHL', trackingNumber: 'T-1' }],
  [deliverOrder, { orderId: 'o-1' }],
  [cancelOrder, { orderId: 'o-1', reason: 'changed my mind' }],
] as never;

const textFields = commands.flatMap(([definition, input]) =>
  [...Object.keys(input).filter((field) => typeof input[field] === 'string'), 'commandId'].map(
    (field) => [definition.name, field, definition, input] as const,
  ),
);

const UNSTORABLE = [
  ['a NUL character', 'a\u0000b'],
  ['a lone high surrogate', 'a\uD800b'],
  ['a lone low surrogate', 'a\uDC00b'],
  ['a high surrogate at the end', 'ab\uD83D'],
] as const;

describe('text PostgreSQL cannot store', () => {
  it.each(commands.map(([definition, input]) => [definition.name, definition, input] as const))(
    'leaves a valid %s input alone',
    (_name, definition, input) => {
      expect(() => parseCommandInput(definition.input, { ...input, commandId: 'cmd-1' })).not.toThrow();
    },
  );

  describe.each(UNSTORABLE)('with %s', (_label, spoiled) => {
    it.each(textFields)('is VALIDATION_FAILED on %s input.%s', (_name, field, definition, input) => {
      const attempt = () => parseCommandInput(definition.input, { ...input, [field]: spoiled });
      expect(attempt).toThrow(ValidationError);
      expect(attempt).toThrow(
        expect.objectContaining({
          fieldErrors: expect.arrayContaining([
            { path: `input.${field}`, message: 'must not contain NUL characters or unpaired surrogates' },
          ]),
        }),
      );
    });
  });

  it('accepts text with paired surrogates (emoji) and other rare characters', () => {
    expect(
      parseCommandInput(addProduct.input, { sku: 'SKU-1', name: 'Lamp \u{1F4A1} \u2028 \uFFFD', priceCents: 1, initialStock: 0 }).input,
    ).toMatchObject({ name: 'Lamp \u{1F4A1} \u2028 \uFFFD' });
  });
});
