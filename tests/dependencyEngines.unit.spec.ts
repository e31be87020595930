import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// We promise a Node range (package.json `engines`); every package a production install holds must
// run on all of it, or `npm ci` warns (EBADENGINE) and the package may use what our Node lacks.

const read = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
const ours = (read('package.json') as { engines: { node: string } }).engines.node;
const lock = read('package-lock.json') as { packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } }> };

describe('production dependencies and the Node we promise', () => {
  it("every production dependency's engines accept the oldest Node we state and the one running", () => {
    const oldest = semver.minVersion(ours)!.version;
    // Not the whole open range: some (Prisma) leave out odd, unsupported majors such as 21 and 23.
    const nodes = [oldest, process.versions.node];
    const excluding = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev && entry.engines?.node)
      .filter(([, entry]) => nodes.some((node) => !semver.satisfies(node, entry.engines!.node!)))
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${entry.engines!.node}`);
    expect(oldest).toBe('20.19.0');
    expect(excluding).toEqual([]);
  });
});
