import { readFileSync } from 'node:fs';

// `npx tsx bench/lib/profileSummary.ts <file.cpuprofile> [top]`: where a server's CPU went (from
// BENCH_PROFILE_DIR), as self time by package or source folder and by function.
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profileSummary <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** A node's owner: an npm package, a folder of ours, node internals, or a V8 pseudo-frame. */
function owner(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return `(${functionName || 'native'})`;
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = url.match(/\/(src|bench)\/(.*)\/[^/]+$/);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

function table(title: string, key: (n: ProfileNode) => string): void {
  const sums = new Map<string, number>();
  for (const [id, us] of self) {
    const k = key(byId.get(id)!);
    sums.set(k, (sums.get(k) ?? 0) + us);
  }
  console.log(`\n${title}`);
  for (const [k, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);

/** Total (inclusive) time of our own functions (src/): each sample counts once per function on its stack. */
function inclusiveOurs(): void {
  const sums = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)!;
      if (!node.callFrame.url.includes('/src/') || node.callFrame.url.includes('/src/generated/')) continue;
      const k = `${node.callFrame.functionName || '(anonymous)'}  ${owner(node)}:${node.callFrame.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      sums.set(k, (sums.get(k) ?? 0) + us);
    }
  }
  console.log('\ntotal time of our functions (of busy time)');
  for (const [k, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / (total - idle)).toFixed(1).padStart(5)} %  ${k}`);
  }
}

console.log(`${(total / 1e6).toFixed(1)} s sampled, ${((total - idle) / 1e6).toFixed(1)} s busy`);
inclusiveOurs();
table('self time by owner', owner);
table('self time by function', (n) => `${n.callFrame.functionName || '(anonymous)'}  ${owner(n)}:${n.callFrame.lineNumber + 1}`);
