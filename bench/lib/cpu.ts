import { readdirSync, readFileSync } from 'node:fs';

// CPU time of processes from /proc (Linux), to say what a load run was bound by: how many cores
// the server and PostgreSQL used while it ran. Elsewhere every figure reads as 0.
const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  seconds: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // utime + stime, plus cutime + cstime: the time of children that exited (PostgreSQL backends
    // closing mid-run) is added to their parent's, so the group's total never goes down.
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { pid, ppid: Number(fields[1]), seconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function allStats(): Stat[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => stat(Number(d)))
      .filter((s): s is Stat => s !== undefined);
  } catch {
    return [];
  }
}

/** CPU seconds used so far by the processes `pids` and all their descendants. */
export function cpuSeconds(pids: number[]): number {
  const stats = allStats();
  const included = new Set(pids);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats) {
      if (included.has(s.pid) || !included.has(s.ppid)) continue;
      included.add(s.pid);
      grew = true;
    }
  }
  return stats.filter((s) => included.has(s.pid)).reduce((sum, s) => sum + s.seconds, 0);
}

/** The pids of processes whose command line holds every one of `fragments`. */
export function processesMatching(...fragments: string[]): number[] {
  const pids: number[] = [];
  for (const s of allStats()) {
    try {
      const cmdline = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (fragments.every((f) => cmdline.includes(f))) pids.push(s.pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The postmaster pids of this benchmark's embedded PostgreSQL servers (their data dir names them). */
export function benchPostmasters(): number[] {
  return processesMatching('ordersource-bench-', '/bin/postgres');
}

/** Cores used by each group of processes (with descendants) while `work` runs. */
export async function coresUsed<T>(groups: number[][], work: () => Promise<T>): Promise<{ result: T; cores: number[] }> {
  const before = groups.map(cpuSeconds);
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  return { result, cores: groups.map((pids, i) => (cpuSeconds(pids) - before[i]!) / seconds) };
}

/** Busy time of all cores together, in seconds (from /proc/stat; 0 where it does not exist). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields as number[];
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Cores of the whole machine busy (anyone's work) while `work` runs. */
export async function machineCoresBusy<T>(work: () => Promise<T>): Promise<{ result: T; cores: number }> {
  const before = machineBusySeconds();
  const started = performance.now();
  const result = await work();
  return { result, cores: (machineBusySeconds() - before) / ((performance.now() - started) / 1000) };
}
