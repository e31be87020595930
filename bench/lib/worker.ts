import { execFile, fork } from 'node:child_process';
import { promisify } from 'node:util';

/** A TypeScript module run as a process of its own, asked one question at a time over IPC. */
export interface Worker<Question, Answer> {
  pid: number;
  ask(question: Question): Promise<Answer>;
  stop(): Promise<void>;
}

/**
 * Forks `script` (which sends 'ready' once it listens, then one answer per message) and pins it
 * to `cpu` when given, so that it does not share a core with a server pinned elsewhere.
 */
export async function startWorker<Question, Answer>(script: URL, cpu?: number): Promise<Worker<Question, Answer>> {
  const child = fork(script.pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
  });
  if (cpu !== undefined) await pin(child.pid!, cpu);
  return {
    pid: child.pid!,
    ask: (question) =>
      new Promise<Answer>((resolve, reject) => {
        // A worker that dies (an unhandled error) answers nothing: the question fails instead of hanging.
        const died = (code: number | null) => reject(new Error(`${script.pathname} exited with ${code} before it answered`));
        child.once('exit', died);
        child.once('message', (answer) => {
          child.off('exit', died);
          resolve(answer as Answer);
        });
        child.send(question as object);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Pins every thread of a running process to one core; without taskset it stays unpinned. */
export async function pin(pid: number, cpu: number): Promise<boolean> {
  try {
    await promisify(execFile)('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]);
    return true;
  } catch {
    return false;
  }
}
