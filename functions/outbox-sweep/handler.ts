import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import { pruneFirestoreIdempotencyKeys, pruneIdempotencyKeys } from '../lib/http/idempotency.ts';
import type { Logger } from '../lib/logger.ts';
import { prune, sweep, type RelayResult } from '../lib/outbox.ts';
import { pruneFirestore, sweepFirestore } from '../lib/outbox-firestore.ts';
import type { Publish } from '../lib/pubsub.ts';

/** What one sweep did. */
export interface SweepSummary {
  postgres: RelayResult;
  firestore: RelayResult;
  pruned: { outbox: number; idempotencyKeys: number };
}

/** Published outbox rows are kept this long, for looking back; then deleted. */
const KEEP_PUBLISHED_MS = 7 * 24 * 3_600_000;

/**
 * The outbox sweeper, run on a schedule: publishes the outbox rows (PostgreSQL) and documents (Firestore) that the
 * relay left behind — Pub/Sub was down, or the process died between the commit and the publish — and deletes what is
 * long published and Idempotency-Keys past their time. Publishing a row twice is harmless: every consumer recognises
 * an event id it has seen.
 */
export function createOutboxSweep(deps: { db: Knex; firestore: Firestore; publish: Publish; olderThanSeconds: number; limit: number }) {
  return async ({ now, log }: { now: Date; log: Logger }): Promise<SweepSummary> => {
    const options = { olderThanSeconds: deps.olderThanSeconds, limit: deps.limit, now };
    const [postgres, firestore] = await Promise.all([sweep(deps.db, deps.publish, options), sweepFirestore(deps.firestore, deps.publish, options)]);
    const before = new Date(now.getTime() - KEEP_PUBLISHED_MS);
    const [outboxRows, outboxDocs, keys, keyDocs] = await Promise.all([
      prune(deps.db, before),
      pruneFirestore(deps.firestore, before),
      pruneIdempotencyKeys(deps.db, now),
      pruneFirestoreIdempotencyKeys(deps.firestore, now),
    ]);
    if (postgres.published + firestore.published > 0) log.warn({ postgres, firestore }, 'the sweeper published events the relay had not');
    return { postgres, firestore, pruned: { outbox: outboxRows + outboxDocs, idempotencyKeys: keys + keyDocs } };
  };
}
