export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Whether the error of a failed attempt (numbered from 1) is worth another one; default: every error. */
  retryIf?: (error: unknown, attempt: number) => boolean;
  /** The pause in ms after failed attempt `attempt` before the next one; default: none. */
  delayMs?: (attempt: number) => number;
}

/**
 * Runs `attempt` (given its number, from 1) until it succeeds, its error is not worth retrying, or
 * `attempts` are spent; then throws the last error as it was.
 */
export async function retry<T>(attempt: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= options.attempts || !(options.retryIf?.(error, n) ?? true)) throw error;
      const delay = options.delayMs?.(n) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
