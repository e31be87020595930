import { describe, expect, it } from 'vitest';
import { defineUpcaster, EventUpcasters, UnknownSchemaVersionError } from './upcasting.js';

const renamed = defineUpcaster<{ n: number }, { count: number }>('Counted', 1, ({ n }) => ({ count: n }));
const doubled = defineUpcaster<{ count: number }, { count: number; twice: number }>('Counted', 2, ({ count }) => ({
  count,
  twice: count * 2,
}));
const event = (schemaVersion: number, data: Record<string, unknown>) => ({ type: 'Counted', schemaVersion, data, position: 7n });

describe('EventUpcasters', () => {
  it('gives an event type with no upcasters version 1 and leaves its events alone', () => {
    const upcasters = new EventUpcasters([renamed]);
    const other = { type: 'Other', schemaVersion: 1, data: { x: 1 } };
    expect(upcasters.currentVersion('Other')).toBe(1);
    expect(upcasters.upcast(other)).toBe(other);
  });

  it('runs every step from the stored version to the current one, in order', () => {
    const upcasters = new EventUpcasters([doubled, renamed]);
    expect(upcasters.currentVersion('Counted')).toBe(3);
    expect(upcasters.upcast(event(1, { n: 4 }))).toEqual({ type: 'Counted', schemaVersion: 3, data: { count: 4, twice: 8 }, position: 7n });
    expect(upcasters.upcast(event(2, { count: 5 })).data).toEqual({ count: 5, twice: 10 });
  });

  it('returns an event already in the current shape as it is', () => {
    const current = event(3, { count: 1, twice: 2 });
    expect(new EventUpcasters([renamed, doubled]).upcast(current)).toBe(current);
  });

  it('refuses an event written by a newer release rather than guessing its shape', () => {
    expect(() => new EventUpcasters([renamed]).upcast(event(3, {}))).toThrow(UnknownSchemaVersionError);
  });

  it('refuses a chain with a gap or a duplicate step', () => {
    expect(() => new EventUpcasters([doubled])).toThrow(/without gaps or duplicates/);
    expect(() => new EventUpcasters([renamed, renamed])).toThrow(/without gaps or duplicates/);
  });

  it('stamps new events with their current version unless one is given', () => {
    const upcasters = new EventUpcasters([renamed]);
    expect(upcasters.stamp({ type: 'Counted', data: {} })).toEqual({ type: 'Counted', data: {}, schemaVersion: 2 });
    expect(upcasters.stamp({ type: 'Counted', data: {}, schemaVersion: 1 }).schemaVersion).toBe(1);
    expect(upcasters.stamp({ type: 'Other', data: {} })).toEqual({ type: 'Other', data: {} });
  });
});
