import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../../schemas/index.ts';
import { updatedAtCommit } from '../lib/catalog.ts';
import { createEvent } from '../lib/events.ts';
import { collections } from '../lib/firestore.ts';
import { lostRace, ReservationDoc } from '../lib/reservations.ts';
import type { StepHandler } from '../lib/step.ts';

const MAX_ATTEMPTS = 8;

/** What releasing an order's stock means, given its reservation as it stands now. */
export type ReleaseDecision = 'release' | 'forestall' | 'announce' | 'nothing';

/**
 * RESERVED stock goes back; with no reservation yet, a RELEASED one is written first so a late reservation takes
 * nothing; a release already done is announced again; a rejected reservation held nothing.
 */
export function decideRelease(doc: ReservationDoc | null): ReleaseDecision {
  if (!doc) return 'forestall';
  switch (doc.status) {
    case 'RESERVED':
      return 'release';
    case 'RELEASED':
      return doc.lines.length > 0 ? 'announce' : 'nothing';
    case 'REJECTED':
      return 'nothing';
    default: {
      const unreachable: never = doc.status;
      throw new Error(`unknown reservation status ${String(unreachable)}`);
    }
  }
}

/**
 * order.cancelled → inventory.released: the stock a cancelled order holds goes back on sale, once. The reservation
 * and every stock document change in one batch guarded by the reservation's update time, so a redelivery finds it
 * RELEASED; stock goes back by increment, which commutes with reservations racing for the same products.
 */
export function createInventoryRelease(deps: { firestore: Firestore }): StepHandler<'order.cancelled'> {
  const fs = deps.firestore;
  return async (cancelled, { now, log }) => {
    const { orderId } = cancelled.data;
    const reservationRef = fs.collection(collections.reservations).doc(orderId);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const snap = await reservationRef.get();
      const doc = snap.exists ? ReservationDoc.parse(snap.data()) : null;
      const decision = decideRelease(doc);
      const released = (lines: ReservationDoc['lines']): Envelope[] => [createEvent('inventory.released', { orderId, lines }, { correlationId: orderId, cause: cancelled, now })];
      try {
        switch (decision) {
          case 'nothing':
            log.info({ status: doc?.status }, 'no stock held for this order');
            return [];
          case 'announce':
            log.info('stock already released; announcing it again');
            return released(doc!.lines);
          case 'forestall':
            await reservationRef.create({ status: 'RELEASED', paymentId: null, lines: [], unavailable: [], createdAt: Timestamp.fromDate(now), releasedAt: Timestamp.fromDate(now) });
            log.info('no reservation yet; recorded the order as released so a late reservation takes nothing');
            return [];
          case 'release': {
            const batch = fs.batch();
            batch.update(reservationRef, { status: 'RELEASED', releasedAt: Timestamp.fromDate(now) }, { lastUpdateTime: snap.updateTime! });
            const perProduct = new Map<string, number>();
            for (const l of doc!.lines) perProduct.set(l.productId, (perProduct.get(l.productId) ?? 0) + l.quantity);
            for (const [productId, quantity] of perProduct) {
              batch.update(fs.collection(collections.stock).doc(productId), { available: FieldValue.increment(quantity), updatedAt: updatedAtCommit() });
            }
            await batch.commit();
            log.info({ lines: doc!.lines }, 'stock released');
            return released(doc!.lines);
          }
          default: {
            const unreachable: never = decision;
            throw new Error(`unknown decision ${String(unreachable)}`);
          }
        }
      } catch (err) {
        if (!lostRace(err)) throw err;
        log.debug({ attempt }, 'the reservation changed underneath; reading again');
      }
    }
    throw new Error(`the reservation of order ${orderId} kept changing for ${MAX_ATTEMPTS} attempts; retry later`);
  };
}
