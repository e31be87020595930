import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OperationLabels } from '../src/observability/operationLabels.js';

describe('OperationLabels', () => {
  const doc = (text: string) => parse(text);

  it("labels an operation with the name its document gives it, not the request's operationName", () => {
    const labels = new OperationLabels([]);
    expect(labels.of(doc('query Orders { __typename }'), undefined)).toBe('Orders');
    expect(labels.of(doc('query Orders { __typename }'), 'SomethingElse')).toBe('other');
    expect(labels.of(doc('{ __typename }'), undefined)).toBe('Anonymous');
    expect(labels.of(undefined, 'Orders')).toBe('other');
  });

  it('keeps the first 50 other names of at most 64 characters, then counts the rest as other', () => {
    const labels = new OperationLabels([]);
    expect(labels.of(doc(`query ${'L'.repeat(65)} { __typename }`), undefined)).toBe('other');
    for (let i = 0; i < 50; i++) expect(labels.of(doc(`query Op${i} { __typename }`), undefined)).toBe(`Op${i}`);
    expect(labels.of(doc('query Op50 { __typename }'), undefined)).toBe('other');
    expect(labels.of(doc('query Op7 { __typename }'), undefined)).toBe('Op7');
  });

  it("always keeps the trusted documents' operation names", () => {
    const labels = new OperationLabels(['query Dashboard { __typename } mutation Pay { __typename }']);
    for (let i = 0; i < 60; i++) labels.of(doc(`query Op${i} { __typename }`), undefined);
    expect(labels.of(doc('query Dashboard { __typename }'), undefined)).toBe('Dashboard');
    expect(labels.of(doc('mutation Pay { __typename }'), undefined)).toBe('Pay');
  });
});
