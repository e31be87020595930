import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEATURES } from '../src/features.js';
import { buildSchema, printSortedSchema } from '../src/graphql/schema.js';
import { productsFeature } from '../src/products/productsFeature.js';
import { systemFeature } from '../src/system/systemFeature.js';

describe('schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:print` after a schema change)', () => {
    const checkedIn = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printSortedSchema(buildSchema(FEATURES)));
  });
});

describe('buildSchema', () => {
  it('builds a schema from one feature alone: its own queries, mutations and subscriptions, and no other feature', () => {
    const schema = buildSchema([productsFeature]);
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['product', 'products', 'projections']));
    expect(Object.keys(schema.getMutationType()!.getFields())).toEqual(expect.arrayContaining(['addProduct', 'restockProduct']));
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['inventoryChanged']);
    expect(schema.getType('Order')).toBeUndefined();
    expect(schema.getQueryType()!.getFields().orders).toBeUndefined();
  });

  it('builds a schema without subscriptions from a feature that has none', () => {
    const schema = buildSchema([systemFeature]);
    expect(Object.keys(schema.getQueryType()!.getFields())).toContain('headPosition');
    expect(schema.getSubscriptionType()).toBeFalsy();
  });
});
