import { useState, type FormEvent } from 'react';
import { AddProductMutation, RestockProductMutation } from './backOfficeOperations.js';
import { CommandNotice } from './CommandNotice.js';
import { useCommand } from './useCommand.js';

/** "12.50" -> 1250: prices are typed in the currency's units and sent in cents. */
const toCents = (amount: string): number => Math.round(Number(amount) * 100);

/** Adds a product to the catalog; the inventory's live feed puts it in the table. */
export function AddProductForm() {
  const add = useCommand(AddProductMutation);
  const [sku, setSku] = useState('');
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [stock, setStock] = useState('0');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await add.run(
      { sku: sku.trim(), name: name.trim(), priceCents: toCents(price), initialStock: Number(stock) },
      `Added ${sku.trim()}.`,
    );
    if (done) {
      setSku('');
      setName('');
      setPrice('');
      setStock('0');
    }
  };
  return (
    <form className="add-product" data-testid="add-product" onSubmit={submit}>
      <fieldset disabled={add.busy}>
        <input aria-label="SKU" placeholder="SKU" value={sku} onChange={(e) => setSku(e.target.value)} required />
        <input aria-label="Name" placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} required />
        <input
          aria-label="Price"
          placeholder="Price"
          type="number"
          min="0"
          step="0.01"
          value={price}
          onChange={(e) => setPrice(e.target.value)}
          required
        />
        <input
          aria-label="Initial stock"
          type="number"
          min="0"
          step="1"
          value={stock}
          onChange={(e) => setStock(e.target.value)}
          required
        />
        <button type="submit">Add product</button>
      </fieldset>
      <CommandNotice outcome={add.outcome} />
    </form>
  );
}

/** Adds units to one product's stock; its row changes when the inventory feed pushes the product. */
export function RestockForm({ sku }: { sku: string }) {
  const restock = useCommand(RestockProductMutation);
  const [quantity, setQuantity] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await restock.run({ sku, quantity: Number(quantity) }, `+${quantity}`)) setQuantity('');
  };
  return (
    <form className="restock" data-testid="restock" onSubmit={submit}>
      <fieldset disabled={restock.busy}>
        <input
          aria-label={`Units to add to ${sku}`}
          type="number"
          min="1"
          step="1"
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          required
        />
        <button type="submit">Restock</button>
      </fieldset>
      <CommandNotice outcome={restock.outcome} />
    </form>
  );
}
