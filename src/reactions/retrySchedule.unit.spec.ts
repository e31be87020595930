import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retrySchedule.js';

describe('retryDelayMs', () => {
  const schedule = [1_000, 1_000, 2_000];

  it('gives one retry after each delay of the schedule, then none', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(schedule, attempts, () => 0.5))).toEqual([1_000, 1_000, 2_000, undefined]);
  });

  it('spreads each delay by at most a fifth either way', () => {
    expect(retryDelayMs(schedule, 3, () => 0)).toBe(1_600);
    expect(retryDelayMs(schedule, 3, () => 0.999_999)).toBe(2_400);
  });

  it('leaves nothing to retry when the schedule is empty', () => {
    expect(retryDelayMs([], 1)).toBeUndefined();
  });
});
