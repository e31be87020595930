/** How far a retry's delay may stray either way from the schedule, so failed messages do not all return at once. */
const JITTER = 0.2;

/**
 * When a message that failed its `attempts`-th attempt is tried again: undefined when the schedule
 * is spent (the message is dead). The schedule lists one delay per retry; each is spread by up to
 * a fifth either way (`random` in [0, 1), for tests to pin).
 */
export function retryDelayMs(scheduleMs: readonly number[], attempts: number, random: () => number = Math.random): number | undefined {
  const base = scheduleMs[attempts - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
