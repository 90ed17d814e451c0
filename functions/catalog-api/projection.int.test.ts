import { describe, expect, it } from 'vitest';
import { eventually, firestore, seedProduct } from '../../test/support/saga.ts';
import { collections } from '../lib/firestore.ts';
import { createLogger } from '../lib/logger.ts';
import { createCatalogProjection } from './projection.ts';
import { search } from './search.ts';

const projection = createCatalogProjection({ firestore: firestore(), log: () => createLogger({ level: 'silent' }), snapshots: null, overlapMs: 0, writeAfterMs: 0 });
const find = async (q: string) => search(await projection.index(), { q, sort: 'relevance', limit: 10 }).items;

describe('catalog projection against the Firestore emulator', () => {
  it('when it first loads, then the seeded catalog is searchable', async () => {
    expect((await projection.index()).items.length).toBeGreaterThanOrEqual(60);
  });

  it('when a product is added, renamed or its stock changes, then search follows within a second', async () => {
    const id = await seedProduct({ name: 'Zephyrine Lantern', available: 4 });
    const started = Date.now();
    await eventually(() => find('zephyrine'), (items) => items.length === 1, 1000);
    await firestore().collection(collections.products).doc(id).update({ name: 'Quillon Lantern' });
    await eventually(() => find('quillon'), (items) => items.length === 1, 1000);
    expect(await find('zephyrine')).toEqual([]);
    await firestore().collection(collections.stock).doc(id).update({ available: 0 });
    await eventually(async () => (await find('quillon'))[0]?.available, (n) => n === 0, 1000);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
