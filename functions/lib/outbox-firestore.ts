import { context } from '@opentelemetry/api';
import { Timestamp, type DocumentReference, type DocumentSnapshot, type Firestore, type WriteBatch } from '@google-cloud/firestore';
import type { Envelope } from '../../schemas/index.ts';
import { versionOf } from './catalog.ts';
import type { Logger } from './logger.ts';
import type { RelayResult } from './outbox.ts';
import type { Publish } from './pubsub.ts';
import { contextOfTraceparent, currentTraceparent } from './telemetry.ts';

/** The outbox collection of Firestore writes: one document per event, keyed by event id. */
export const OUTBOX_COLLECTION = 'outbox';

/**
 * Stands for the commit time of the batch in an event's data: a product's version is its update time, which is known
 * only once the batch that writes it commits (every write of a batch shares that time, the outbox document's
 * creation time included).
 */
export const COMMIT_TIME = '@commit';

/** Adds an event to a Firestore batch, so it is stored exactly when the change that caused it is. */
export function addToBatch(fs: Firestore, batch: WriteBatch, event: Envelope, now: Date): DocumentReference {
  const ref = fs.collection(OUTBOX_COLLECTION).doc(event.metadata.eventId);
  batch.create(ref, { envelope: JSON.stringify(event), type: event.type, createdAt: Timestamp.fromDate(now), publishedAt: null, traceparent: currentTraceparent() });
  return ref;
}

/** The event stored in an outbox document, with the commit time filled in. */
export function eventOf(snap: DocumentSnapshot): Envelope {
  const text = snap.get('envelope') as string;
  return JSON.parse(text.replaceAll(COMMIT_TIME, versionOf(snap.createTime!))) as Envelope;
}

async function publishDocs(publish: Publish, snaps: DocumentSnapshot[]): Promise<RelayResult> {
  const outcomes = await Promise.all(
    snaps.map(async (snap) => {
      try {
        await context.with(contextOfTraceparent(snap.get('traceparent') as string | null | undefined), () => publish(eventOf(snap)));
        await snap.ref.update({ publishedAt: Timestamp.now() });
        return true;
      } catch {
        return false;
      }
    }),
  );
  return { published: outcomes.filter(Boolean).length, failed: outcomes.filter((ok) => !ok).length };
}

/** Publishes just-committed outbox documents; never throws (the sweeper publishes what is left). */
export async function relayFirestore(publish: Publish, refs: DocumentReference[], log: Logger): Promise<RelayResult> {
  try {
    const snaps = (await Promise.all(refs.map((r) => r.get()))).filter((s) => s.exists && s.get('publishedAt') === null);
    const result = await publishDocs(publish, snaps);
    if (result.failed > 0) log.warn(result, 'catalog outbox relay could not publish now; the sweeper will');
    return result;
  } catch (err) {
    log.warn({ err }, 'catalog outbox relay failed; the sweeper will publish');
    return { published: 0, failed: refs.length };
  }
}

/** Publishes outbox documents left unpublished for longer than `olderThanSeconds`, oldest first. */
export async function sweepFirestore(fs: Firestore, publish: Publish, options: { olderThanSeconds: number; limit: number; now: Date }): Promise<RelayResult> {
  const cutoff = Timestamp.fromMillis(options.now.getTime() - options.olderThanSeconds * 1000);
  const pending = await fs
    .collection(OUTBOX_COLLECTION)
    .where('publishedAt', '==', null)
    .where('createdAt', '<', cutoff)
    .orderBy('createdAt')
    .limit(options.limit)
    .get();
  return publishDocs(publish, pending.docs);
}

/** Deletes outbox documents published before `before`. */
export async function pruneFirestore(fs: Firestore, before: Date): Promise<number> {
  const old = await fs.collection(OUTBOX_COLLECTION).where('publishedAt', '<', Timestamp.fromDate(before)).limit(500).get();
  if (old.empty) return 0;
  const batch = fs.batch();
  old.docs.forEach((d) => batch.delete(d.ref));
  await batch.commit();
  return old.size;
}
