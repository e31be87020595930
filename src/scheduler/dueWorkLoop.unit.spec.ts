import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { DueWorkLoop, type DueWork } from './dueWorkLoop.js';

const logger = createLogger('silent');

/** Work that is always due (its next due time is in the past); `started` says whether a round could start any of it. */
function alwaysDue(started: boolean | undefined): DueWork & { rounds: number } {
  const work = {
    rounds: 0,
    runDue: async () => {
      work.rounds++;
      return started;
    },
    nextDueAt: async () => new Date(Date.now() - 1_000),
  };
  return work;
}

/** A loop over `work` polling every second, started. */
function startedLoop(work: DueWork): DueWorkLoop {
  const loop = new DueWorkLoop('test', work, logger, { pollMs: 1_000 });
  loop.start();
  return loop;
}

describe('the due work loop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for its next poll when due work could not be started here, instead of asking again at once', async () => {
    const work = alwaysDue(false);
    const loop = startedLoop(work);
    await vi.advanceTimersByTimeAsync(2_500);
    // One round at the start and one per poll.
    expect(work.rounds).toBe(3);
    // A wake-up (a run ended, new work) still starts a round at once.
    loop.wakeUp();
    await vi.advanceTimersByTimeAsync(0);
    expect(work.rounds).toBe(4);
    await loop.stop();
  });

  it('runs again at once while each round starts due work (a backlog larger than one round)', async () => {
    const work = alwaysDue(true);
    const loop = startedLoop(work);
    await vi.advanceTimersByTimeAsync(10);
    expect(work.rounds).toBeGreaterThan(3);
    await loop.stop();
  });
});
