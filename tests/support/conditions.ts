/**
 * Lets a test client wait, with a deadline, for a condition that its callbacks make true: each
 * callback calls `notify()`, and `until` re-checks then.
 */
export function conditions(describeState: () => string) {
  const waiters = new Set<() => void>();
  return {
    notify: () => waiters.forEach((w) => w()),
    until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (done()) return resolve();
        const check = () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; ${describeState()}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
  };
}
