import { Storage } from '@google-cloud/storage';
import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { writeCatalogSnapshot } from '../../scripts/seed/catalog.ts';
import { eventually, firestore, seedProduct, stack, unique } from '../../test/support/saga.ts';
import { updatedAtCommit } from '../lib/catalog.ts';
import { readSnapshot, storedSnapshotAsOf, writeSnapshot } from '../lib/catalog-snapshot.ts';
import { collections } from '../lib/firestore.ts';
import { createLogger } from '../lib/logger.ts';
import { createCatalogProjection, type SnapshotStore } from './projection.ts';
import { search } from './search.ts';

const log = () => createLogger({ level: 'silent' });
const projection = createCatalogProjection({ firestore: firestore(), log, snapshots: null, overlapMs: 0, writeAfterMs: 0 });
const find = async (q: string, from = projection) => search(await from.index(), { q, sort: 'relevance', limit: 10 }).items;

/** A snapshot store on a bucket of its own, on the stack's storage endpoint. */
async function snapshotStore(): Promise<SnapshotStore & { bucket: string; storage: Storage }> {
  const storage = new Storage({ projectId: stack.project });
  const bucket = unique('catalog-snapshots');
  await storage.createBucket(bucket);
  return {
    bucket,
    storage,
    read: () => readSnapshot(storage, bucket),
    write: async (snapshot) => void (await writeSnapshot(storage, bucket, snapshot)),
    storedAsOf: () => storedSnapshotAsOf(storage, bucket),
  };
}

describe('catalog projection against the Firestore emulator', () => {
  it('when it first loads, then the seeded catalog is searchable', async () => {
    expect((await projection.index()).size).toBeGreaterThanOrEqual(60);
  });

  it('when a product is added, renamed or its stock changes, then search follows within a second', async () => {
    const id = await seedProduct({ name: 'Zephyrine Lantern', available: 4 });
    const started = Date.now();
    await eventually(() => find('zephyrine'), (items) => items.length === 1, 1000);
    await firestore().collection(collections.products).doc(id).update({ name: 'Quillon Lantern', updatedAt: updatedAtCommit() });
    await eventually(() => find('quillon'), (items) => items.length === 1, 1000);
    expect(await find('zephyrine')).toEqual([]);
    await firestore().collection(collections.stock).doc(id).update({ available: 0, updatedAt: updatedAtCommit() });
    await eventually(async () => (await find('quillon'))[0]?.available, (n) => n === 0, 1000);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('catalog projection started from a snapshot', () => {
  it('when products change after the snapshot was read, then an instance started from it sees every change: new, renamed, archived, restocked', async () => {
    const store = await snapshotStore();
    const [kept, archived, restocked] = await Promise.all(['Ombrelle', 'Vanishing', 'Restocked'].map((word) => seedProduct({ name: `${word} ${unique('w')}`, available: 3 })));
    await writeCatalogSnapshot(firestore(), store.storage, store.bucket);
    const products = firestore().collection(collections.products);
    const added = await seedProduct({ name: 'Marmalade Kettle', available: 2 });
    await products.doc(kept!).update({ name: 'Ombrelle Parasol', updatedAt: updatedAtCommit() });
    await products.doc(archived!).update({ status: 'archived', updatedAt: updatedAtCommit() });
    await firestore().collection(collections.stock).doc(restocked!).update({ available: 0, updatedAt: updatedAtCommit() });

    const fromSnapshot = createCatalogProjection({ firestore: firestore(), log, snapshots: store, overlapMs: 0, writeAfterMs: 0 });
    expect((await find('marmalade', fromSnapshot)).map((i) => i.id)).toEqual([added]);
    expect((await find('parasol', fromSnapshot)).map((i) => i.id)).toEqual([kept]);
    expect((await fromSnapshot.index()).get(archived!)).toBeUndefined();
    expect((await fromSnapshot.index()).get(restocked!)?.available).toBe(0);

    // And it keeps following: an archive after the start disappears from search too.
    await products.doc(kept!).update({ status: 'archived', updatedAt: updatedAtCommit() });
    await eventually(() => find('parasol', fromSnapshot), (items) => items.length === 0, 2000);
  });

  it('when a write is stamped by a clock behind the snapshot time, then the overlap window still finds it, and without the overlap it is missed', async () => {
    const store = await snapshotStore();
    const id = await seedProduct({ name: `Laggard ${unique('w')}`, available: 1 });
    const { asOf } = await writeCatalogSnapshot(firestore(), store.storage, store.bucket);
    const late = Timestamp.fromMillis(asOf.getTime() - 10_000);
    await firestore().collection(collections.products).doc(id).update({ name: 'Tardigrade Lamp', updatedAt: late });

    const withOverlap = createCatalogProjection({ firestore: firestore(), log, snapshots: store, overlapMs: 60_000, writeAfterMs: 0 });
    const without = createCatalogProjection({ firestore: firestore(), log, snapshots: store, overlapMs: 0, writeAfterMs: 0 });
    expect((await find('tardigrade', withOverlap)).map((i) => i.id)).toEqual([id]);
    expect(await find('tardigrade', without)).toEqual([]);
  });

  it('when an instance stores its snapshot, then the next instance starts from it with the same catalog', async () => {
    const store = await snapshotStore();
    const first = createCatalogProjection({ firestore: firestore(), log, snapshots: store, overlapMs: 0, writeAfterMs: 0 });
    await first.ready();
    expect(await first.writeSnapshot()).toBe('written');
    expect(await first.writeSnapshot()).toBe('newer-stored');
    const second = createCatalogProjection({ firestore: firestore(), log, snapshots: store, overlapMs: 0, writeAfterMs: 0 });
    const query = { category: 'shoes', sort: 'name' as const, limit: 50 };
    // Other test files add products meanwhile; the demo catalog is what both must agree on.
    const demo = async (p: typeof first) => search(await p.index(), query).items.map((i) => i.id).filter((id) => /^p-\d{5}$/.test(id));
    expect(await demo(second)).toEqual(await demo(first));
    expect((await store.read())?.items.length).toBeGreaterThanOrEqual(60);
  });
});
