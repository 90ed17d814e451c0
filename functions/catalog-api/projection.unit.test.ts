import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import type { CatalogItem, CatalogSnapshot } from '../lib/catalog-snapshot.ts';
import { searchItem } from '../../test/support/search-items.ts';
import { createLogger } from '../lib/logger.ts';
import { createCatalogProjection } from './projection.ts';
import { search } from './search.ts';

const item = (id: string, name: string): CatalogItem => searchItem(id, { name, category: 'boots', categories: ['shoes', 'boots'], available: 3 });

/** A Firestore whose listeners answer only when the test says so (the emulator's scans, a slow start). */
function heldFirestore() {
  const listeners: ((snap: unknown) => void)[] = [];
  const query = { onSnapshot: (next: (snap: unknown) => void) => (listeners.push(next), () => undefined) };
  const firestore = { collection: () => ({ ...query, where: () => query }) } as unknown as Firestore;
  /** Every listener delivers its first result: nothing changed since the snapshot. */
  const answer = () => listeners.forEach((next) => next({ docChanges: () => [], readTime: Timestamp.now() }));
  return { firestore, answer, listening: () => listeners.length };
}

const projectionFrom = (snapshot: CatalogSnapshot, serveWithinMs: number) => {
  const held = heldFirestore();
  const projection = createCatalogProjection({
    firestore: held.firestore,
    log: () => createLogger({ level: 'silent' }),
    snapshots: { read: async () => snapshot, write: async () => undefined, storedAsOf: async () => snapshot.asOf },
    overlapMs: 0,
    serveWithinMs,
    writeAfterMs: 0,
  });
  return { projection, ...held };
};

/** 'waiting' when `work` has not settled within 100 ms. */
const settled = <T>(work: Promise<T>) => Promise.race([work, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 100))]);

const snapshotAged = (ms: number): CatalogSnapshot => ({ asOf: Timestamp.fromMillis(Date.now() - ms), items: [item('p-1', 'Alpine Boots'), item('p-2', 'Harbour Boots')] });

describe('catalog projection: a new instance and its snapshot', () => {
  it('given a snapshot younger than serveWithinMs, when the listeners have not answered yet, then searches use the snapshot', async () => {
    const { projection, listening } = projectionFrom(snapshotAged(10_000), 300_000);
    const index = await settled(projection.index());
    expect(index).not.toBe('waiting');
    expect(listening()).toBe(2);
    expect(search(index as Exclude<typeof index, 'waiting'>, { q: 'alpine', sort: 'relevance', limit: 10 }).items.map((i) => i.id)).toEqual(['p-1']);
    expect(await settled(projection.ready())).toBe('waiting');
  });

  it('given a snapshot older than serveWithinMs, when the listeners have not answered yet, then searches wait for them', async () => {
    const { projection, answer } = projectionFrom(snapshotAged(3_600_000), 300_000);
    const index = projection.index();
    expect(await settled(index)).toBe('waiting');
    answer();
    expect((await index).size).toBe(2);
  });

  it('given serveWithinMs 0, when the listeners have not answered yet, then searches wait for them however fresh the snapshot', async () => {
    const { projection, answer } = projectionFrom(snapshotAged(1_000), 0);
    const index = projection.index();
    expect(await settled(index)).toBe('waiting');
    answer();
    expect((await index).size).toBe(2);
  });
});
