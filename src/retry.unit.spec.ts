import { describe, expect, it, vi } from 'vitest';
import { retry } from './retry.js';

class Transient extends Error {}

describe('retry', () => {
  it('should try again until the attempt succeeds, numbering the attempts from 1', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (n) => {
        seen.push(n);
        if (n < 3) throw new Transient();
        return 'done';
      },
      { attempts: 5 },
    );
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('should throw the last error as it was once the attempts are spent', async () => {
    const errors = [new Transient('1'), new Transient('2')];
    const attempt = vi.fn(async (n: number) => Promise.reject(errors[n - 1]));
    await expect(retry(attempt, { attempts: 2 })).rejects.toBe(errors[1]);
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it('should throw at once an error retryIf refuses, without pausing', async () => {
    const delayMs = vi.fn(() => 1_000);
    const fatal = new Error('fatal');
    await expect(retry(async () => Promise.reject(fatal), { attempts: 10, retryIf: (e) => e instanceof Transient, delayMs })).rejects.toBe(
      fatal,
    );
    expect(delayMs).not.toHaveBeenCalled();
  });

  it('should pause delayMs(attempt) between attempts', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const running = retry(
        async () => {
          calls++;
          if (calls < 3) throw new Transient();
          return calls;
        },
        { attempts: 3, delayMs: (n) => 100 * n },
      );
      await vi.advanceTimersByTimeAsync(99);
      expect(calls).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(2);
      await vi.advanceTimersByTimeAsync(199);
      expect(calls).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      await expect(running).resolves.toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
