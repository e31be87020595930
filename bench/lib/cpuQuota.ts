import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// A CPU quota for one process through a cgroup of its own (Linux, root; cgroup v2 or v1's cpu
// controller), so that a benchmark can give each server process a fixed share of a core, as if it
// ran on a machine of its own, while PostgreSQL and the load generator keep the rest.
const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

/** A process held to a share of one core until `release()`. */
export interface CpuQuota {
  release(): void;
}

function cgroupRoot(): { root: string; v2: boolean } | undefined {
  if (existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) return { root: V2_ROOT, v2: true };
  if (existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us'))) return { root: V1_ROOT, v2: false };
  return undefined;
}

/**
 * Limits `pid` (all its threads) to `cores` of CPU time (0.3 = 30 % of one core). Undefined when
 * this machine does not let us (no cgroup cpu controller, or not allowed to write it).
 */
export function limitCpu(pid: number, cores: number): CpuQuota | undefined {
  const found = cgroupRoot();
  if (!found) return undefined;
  const dir = path.join(found.root, `ordersource-bench-${pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    const quota = Math.round(cores * PERIOD_US);
    if (found.v2) writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    else {
      writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  } catch {
    try {
      rmdirSync(dir);
    } catch {
      // not created
    }
    return undefined;
  }
  return {
    release() {
      // Back to the root group (unlimited), then the empty group can go.
      try {
        writeFileSync(path.join(found.root, 'cgroup.procs'), String(pid));
      } catch {
        // the process has exited
      }
      try {
        rmdirSync(dir);
      } catch {
        // still busy or gone: harmless
      }
    },
  };
}
