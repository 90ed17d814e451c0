import type { Firestore, WriteBatch } from '@google-cloud/firestore';
import type { EventData } from '../../schemas/index.ts';
import { createEvent } from '../lib/events.ts';
import { strikes, type Faults } from '../lib/faults.ts';
import { newId, stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { addToBatch, relayFirestore } from '../lib/outbox-firestore.ts';
import type { Publish } from '../lib/pubsub.ts';
import { withDeadline } from '../lib/resilience.ts';

/** A product change to announce: what changed and the product's version after it (COMMIT_TIME stands for the commit's). */
export interface ProductChange {
  productId: string;
  change: EventData<'catalog.product.changed'>['change'];
  version: string;
  now: Date;
  log: Logger;
}

/** Commits a catalog write together with the catalog.product.changed it causes. */
export type CommitChange = (batch: WriteBatch, change: ProductChange) => Promise<void>;

/**
 * Creates the committer of catalog writes: the event goes into the same Firestore batch as the change (the outbox),
 * so it exists exactly when the change does; the relay publishes it right after the commit, and the sweeper if the
 * relay cannot. Cached reads of the product are dropped at once.
 */
export function createChangeCommitter(deps: {
  firestore: Firestore;
  publish: Publish;
  invalidate: (productId: string) => Promise<void>;
  relayWaitMs: number;
  /** Longest wait for the commit; past it the request answers 503 (the write may still land, with its event). */
  commitTimeoutMs: number;
  faults: () => Faults;
  crash: () => never;
}): CommitChange {
  return async (batch, { productId, change, version, now, log }) => {
    const event = createEvent('catalog.product.changed', { productId, change, version }, { correlationId: stableId(productId), cause: null, now, key: newId() });
    const ref = addToBatch(deps.firestore, batch, event, now);
    await withDeadline(batch.commit(), deps.commitTimeoutMs, 'Firestore');
    if (strikes(deps.faults().crashAfterCommit, 'catalog-api')) {
      log.fatal({ productId }, 'FAULTS.crashAfterCommit: exiting after the commit, before the relay publishes');
      deps.crash();
    }
    await deps.invalidate(productId);
    await withDeadline(relayFirestore(deps.publish, [ref], log), deps.relayWaitMs, 'outbox relay').catch(() =>
      log.warn({ productId, change }, 'catalog.product.changed not published yet; the outbox sweeper will publish it'),
    );
  };
}
