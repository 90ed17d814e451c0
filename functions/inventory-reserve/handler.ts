import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../../schemas/index.ts';
import { StockDoc, updatedAtCommit } from '../lib/catalog.ts';
import { createEvent } from '../lib/events.ts';
import { collections } from '../lib/firestore.ts';
import { lostRace, ReservationDoc } from '../lib/reservations.ts';
import type { StepHandler } from '../lib/step.ts';
import { decideReservation } from './reservation.ts';

/** Optimistic attempts before the message is left to Pub/Sub's retry. */
const MAX_ATTEMPTS = 8;

/** The event a reservation announces; a released reservation announces nothing (the order has ended). */
export function reservationOutcome(doc: ReservationDoc, authorized: Envelope<'payment.authorized'>, now: Date): Envelope[] {
  const options = { correlationId: authorized.metadata.correlationId, cause: authorized, now };
  const { orderId, paymentId } = authorized.data;
  switch (doc.status) {
    case 'RESERVED':
      return [createEvent('inventory.reserved', { orderId, paymentId, lines: doc.lines }, options)];
    case 'REJECTED':
      return [createEvent('inventory.reservation_failed', { orderId, paymentId, reason: 'out_of_stock', unavailable: doc.unavailable }, options)];
    case 'RELEASED':
      return [];
    default: {
      const unreachable: never = doc.status;
      throw new Error(`unknown reservation status ${String(unreachable)}`);
    }
  }
}

/**
 * payment.authorized → inventory.reserved | inventory.reservation_failed. All lines are reserved in one atomic batch
 * guarded by each stock document's update time (optimistic concurrency: no transaction locks, which cost seconds on
 * the emulator under contention); the reservation document is created in the same batch, so a redelivery finds it
 * and announces the same outcome instead of reserving twice. A reservation already RELEASED means the order was
 * cancelled first: nothing is reserved.
 */
export function createInventoryReserve(deps: { firestore: Firestore }): StepHandler<'payment.authorized'> {
  const fs = deps.firestore;
  return async (authorized, { now, log }) => {
    const { orderId, paymentId, lines } = authorized.data;
    const reservationRef = fs.collection(collections.reservations).doc(orderId);
    const stockRefs = [...new Set(lines.map((l) => l.productId))].map((id) => fs.collection(collections.stock).doc(id));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const [reservation, ...stock] = await fs.getAll(reservationRef, ...stockRefs);
      if (reservation!.exists) {
        const doc = ReservationDoc.parse(reservation!.data());
        log.info({ attempt, status: doc.status }, doc.status === 'RELEASED' ? 'the order ended before stock was reserved; reserving nothing' : 'reservation already decided; announcing it again');
        return reservationOutcome(doc, authorized, now);
      }
      const available = new Map(stock.map((s) => [s.id, s.exists ? StockDoc.parse(s.data()).available : 0]));
      const decision = decideReservation(lines, available);
      const doc: ReservationDoc = decision.ok
        ? { status: 'RESERVED', paymentId, lines, unavailable: [] }
        : { status: 'REJECTED', paymentId, lines, unavailable: decision.unavailable };
      const batch = fs.batch();
      batch.create(reservationRef, { ...doc, createdAt: Timestamp.fromDate(now) });
      if (decision.ok) {
        stock.forEach((snap: DocumentSnapshot) => {
          batch.update(snap.ref, { available: decision.remaining.get(snap.id), updatedAt: updatedAtCommit() }, { lastUpdateTime: snap.updateTime! });
        });
      }
      try {
        await batch.commit();
        log.info({ status: doc.status, unavailable: doc.unavailable, attempt }, 'reservation decided');
        return reservationOutcome(doc, authorized, now);
      } catch (err) {
        if (!lostRace(err)) throw err;
        log.debug({ attempt }, 'stock or reservation changed underneath; reading again');
      }
    }
    throw new Error(`stock for order ${orderId} kept changing for ${MAX_ATTEMPTS} attempts; retry later`);
  };
}
