import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from './rateLimitStores.js';

describe('MemoryRateLimitStore', () => {
  const limiterAt = (perMinute: number) => {
    const clock = { now: 1_000_000 };
    return { clock, limiter: new MemoryRateLimitStore({ capacity: perMinute, windowMs: 60_000 }, () => clock.now) };
  };

  it("allows a burst of a minute's allowance, then refuses with the time until enough tokens are back", () => {
    const { limiter } = limiterAt(60);
    for (let i = 0; i < 60; i++) expect(limiter.take('alice', 1)).toEqual({ allowed: true });
    expect(limiter.take('alice', 1)).toEqual({ allowed: false, retryAfterMs: 1_000 });
  });

  it('refills continuously at perMinute / 60 a second', () => {
    const { clock, limiter } = limiterAt(60);
    expect(limiter.take('alice', 60)).toEqual({ allowed: true });
    clock.now += 2_500;
    expect(limiter.take('alice', 2)).toEqual({ allowed: true });
    expect(limiter.take('alice', 1)).toEqual({ allowed: false, retryAfterMs: 500 });
  });

  it('keeps one bucket per identity', () => {
    const { limiter } = limiterAt(2);
    expect(limiter.take('alice', 2)).toEqual({ allowed: true });
    expect(limiter.take('alice', 1).allowed).toBe(false);
    expect(limiter.take('bob', 2)).toEqual({ allowed: true });
  });

  it('takes nothing from a refused request, so a too-large batch does not drain the bucket', () => {
    const { limiter } = limiterAt(3);
    expect(limiter.take('alice', 4).allowed).toBe(false);
    expect(limiter.take('alice', 3)).toEqual({ allowed: true });
  });

  it("never fills a bucket past one minute's allowance", () => {
    const { clock, limiter } = limiterAt(5);
    limiter.take('alice', 1);
    clock.now += 3_600_000;
    expect(limiter.take('alice', 5)).toEqual({ allowed: true });
    expect(limiter.take('alice', 1).allowed).toBe(false);
  });
});
