import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A Debian server binary the tests start and stop themselves (redis-server, nats-server). */
export interface DaemonProcess {
  /** Starts it (again), resolving once its output says it is ready. */
  start(): Promise<void>;
  /** Stops it (SIGTERM) and waits for the exit; nothing when it is not running. */
  stop(): Promise<void>;
}

/**
 * `binary args...`, ready when stdout or stderr holds `readyLine`; fails with the output seen when
 * the process exits first or is not ready within `startTimeoutMs`. `packageName` is what to install
 * when the binary is missing (`.ci/run` installs every one the tests use).
 */
export function daemonProcess(
  binary: string,
  args: readonly string[],
  options: { readyLine: string; packageName: string; startTimeoutMs: number },
): DaemonProcess {
  if (!existsSync(binary))
    throw new Error(
      `${binary} is missing: install Debian's ${options.packageName} (apt-get install -y ${options.packageName}; .ci/run does)`,
    );
  let child: ChildProcess | undefined;
  return {
    async start() {
      const process = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = process;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${binary} did not start within ${options.startTimeoutMs / 1000} s:\n${output}`)),
          options.startTimeoutMs,
        );
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes(options.readyLine)) {
            clearTimeout(timer);
            resolve();
          }
        };
        process.stdout!.on('data', read);
        process.stderr!.on('data', read);
        process.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${binary} exited with ${code}:\n${output}`));
        });
      });
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
}
