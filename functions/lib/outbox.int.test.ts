import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../schemas/index.ts';
import { useSagaWorld } from '../../test/support/driver.ts';
import { placedEvent } from '../../test/support/events.ts';
import { firestore, seedProduct } from '../../test/support/saga.ts';
import { productEtag, versionOf } from './catalog.ts';
import { createEvent } from './events.ts';
import { collections } from './firestore.ts';
import { newId } from './ids.ts';
import { createLogger } from './logger.ts';
import { enqueue, relay, sweep } from './outbox.ts';
import { addToBatch, COMMIT_TIME, relayFirestore, sweepFirestore } from './outbox-firestore.ts';

const world = useSagaWorld();
const silent = createLogger({ level: 'silent' });
const down = async () => {
  throw new Error('Pub/Sub: no answer within 3000 ms');
};

describe('the PostgreSQL outbox', () => {
  it('when the relay cannot publish, then the row stays, and the sweeper publishes it once it is old enough', async () => {
    const event = placedEvent();
    const ids = await world.db.transaction((trx) => enqueue(trx, [event]));
    expect(await relay(world.db, down, ids, silent)).toEqual({ published: 0, failed: 1 });
    const row = await world.db('outbox').where({ id: ids[0] }).first();
    expect(row).toMatchObject({ published_at: null, attempts: 1, last_error: expect.stringMatching(/no answer/) });

    const published: Envelope[] = [];
    const publish = async (e: Envelope) => void published.push(e);
    await sweep(world.db, publish, { olderThanSeconds: 60, limit: 100, now: new Date() });
    expect(published).toEqual([]);
    await sweep(world.db, publish, { olderThanSeconds: 0, limit: 100, now: new Date(Date.now() + 1000) });
    expect(published.map((e) => e.metadata.eventId)).toContain(event.metadata.eventId);
    expect((await world.db('outbox').where({ id: ids[0] }).first()).published_at).not.toBeNull();
  });

  it('when two sweepers run at once, then each row is published by one of them', async () => {
    const events = Array.from({ length: 20 }, () => placedEvent());
    await world.db.transaction((trx) => enqueue(trx, events));
    const seen: string[] = [];
    const publish = async (e: Envelope) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(e.metadata.eventId);
    };
    const options = { olderThanSeconds: 30, limit: 100, now: new Date(Date.now() + 60_000) };
    await Promise.all([sweep(world.db, publish, options), sweep(world.db, publish, options)]);
    const ours = seen.filter((id) => events.some((e) => e.metadata.eventId === id));
    expect(ours.sort()).toEqual(events.map((e) => e.metadata.eventId).sort());
  });
});

describe('the Firestore outbox', () => {
  it('when a product change commits with its event, then the event carries the version the product has after the commit', async () => {
    const fs = firestore();
    const productId = await seedProduct({ available: 4 });
    const ref = fs.collection(collections.products).doc(productId);
    const before = await ref.get();
    const event = createEvent('catalog.product.changed', { productId, change: 'updated', version: `${COMMIT_TIME}-4` }, { correlationId: newId(), cause: null, now: new Date(), key: newId() });
    const batch = fs.batch();
    batch.update(ref, { name: 'Renamed by the outbox test' }, { lastUpdateTime: before.updateTime! });
    const outboxRef = addToBatch(fs, batch, event, new Date());
    await batch.commit();
    expect(await relayFirestore(down, [outboxRef], silent)).toEqual({ published: 0, failed: 1 });

    const published: Envelope<'catalog.product.changed'>[] = [];
    await sweepFirestore(fs, async (e) => void published.push(e as Envelope<'catalog.product.changed'>), { olderThanSeconds: 0, limit: 500, now: new Date(Date.now() + 1000) });
    const ours = published.find((e) => e.metadata.eventId === event.metadata.eventId)!;
    const after = await ref.get();
    expect(`"${ours.data.version}"`).toBe(productEtag(versionOf(after.updateTime!), 4));
    expect((await outboxRef.get()).get('publishedAt')).not.toBeNull();
  });
});
