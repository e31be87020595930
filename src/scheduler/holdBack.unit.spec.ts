import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoldBack } from './holdBack.js';

const MINUTE = 60_000;

describe('HoldBack', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves an item just run out for the pause after a run, then lets it back', () => {
    const held = new HoldBack({ afterRunMs: MINUTE, maxMs: 60 * MINUTE });
    expect(held.remember('a', false)).toBe(0);
    expect(held.keys()).toEqual(['a']);
    vi.advanceTimersByTime(MINUTE + 1);
    expect(held.keys()).toEqual([]);
  });

  it('doubles the pause after each refusal in a row, up to the longest', () => {
    const held = new HoldBack({ afterRunMs: MINUTE, maxMs: 4 * MINUTE });
    const pauses: number[] = [];
    for (let refusal = 1; refusal <= 4; refusal++) {
      expect(held.remember('a', true)).toBe(refusal);
      let minutes = 0;
      while (held.keys().includes('a')) {
        vi.advanceTimersByTime(MINUTE);
        minutes++;
      }
      pauses.push(minutes);
    }
    expect(pauses).toEqual([1, 2, 4, 4]);
  });

  it('counts refusals afresh once the item has run', () => {
    const held = new HoldBack({ afterRunMs: MINUTE, maxMs: 60 * MINUTE });
    held.remember('a', true);
    held.remember('a', true);
    expect(held.remember('a', false)).toBe(0);
    expect(held.remember('a', true)).toBe(1);
  });

  it('forgets everything on clear', () => {
    const held = new HoldBack({ afterRunMs: MINUTE, maxMs: 60 * MINUTE });
    held.remember('a', true);
    held.clear();
    expect(held.keys()).toEqual([]);
  });
});
