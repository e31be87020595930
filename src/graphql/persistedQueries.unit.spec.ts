import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustedDocuments, memoryPersistedQueryStore, sha256 } from './persistedQueries.js';

describe('the in-process persisted-query store', () => {
  it('should keep at most its bound, dropping the least recently used text first', async () => {
    const store = memoryPersistedQueryStore(2);
    await store.set('a', '{ a }');
    await store.set('b', '{ b }');
    await store.get('a');
    await store.set('c', '{ c }');
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual(['{ a }', undefined, '{ c }']);
  });
});

describe('loading trusted-documents manifests', () => {
  it('should accept the client preset hashes with or without their sha256: prefix, and refuse a document that does not match its hash', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-manifest-unit-'));
    try {
      const good = path.join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ [`sha256:${sha256('{ a }')}`]: '{ a }', [sha256('{ b }')]: '{ b }' }));
      expect([...(await loadTrustedDocuments([good])).keys()]).toEqual([sha256('{ a }'), sha256('{ b }')]);

      const forged = path.join(dir, 'forged.json');
      await writeFile(forged, JSON.stringify({ [sha256('{ a }')]: '{ somethingElse }' }));
      await expect(loadTrustedDocuments([forged])).rejects.toThrow(/is not the sha256 of its document/);
      await expect(loadTrustedDocuments([path.join(dir, 'missing.json')])).rejects.toThrow(/cannot read the manifest/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
