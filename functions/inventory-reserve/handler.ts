import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { StockLine, type Envelope } from '../../schemas/index.ts';
import { StockDoc } from '../lib/catalog.ts';
import { createEvent } from '../lib/events.ts';
import { collections } from '../lib/firestore.ts';
import type { StepHandler } from '../lib/step.ts';
import { decideReservation } from './reservation.ts';

/** A reservation document (`reservations/{orderId}`): the outcome for an order, written once. */
const ReservationDoc = z.object({
  status: z.enum(['RESERVED', 'REJECTED']),
  paymentId: z.string(),
  lines: z.array(StockLine),
  unavailable: z.array(z.object({ productId: z.string(), requested: z.number(), available: z.number() })),
});
type ReservationDoc = z.infer<typeof ReservationDoc>;

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
/** Optimistic attempts before the message is left to Pub/Sub's retry. */
const MAX_ATTEMPTS = 8;

/** The event a reservation outcome announces. */
export function reservationOutcome(doc: ReservationDoc, charged: Envelope<'payment.charged'>, now: Date): Envelope {
  const options = { correlationId: charged.metadata.correlationId, cause: charged, now };
  const { orderId } = charged.data;
  return doc.status === 'RESERVED'
    ? createEvent('inventory.reserved', { orderId, lines: doc.lines }, options)
    : createEvent(
        'inventory.reservation_failed',
        { orderId, paymentId: doc.paymentId, reason: 'out_of_stock', unavailable: doc.unavailable },
        options,
      );
}

/**
 * payment.charged → inventory.reserved | inventory.reservation_failed. All lines are reserved in one atomic batch
 * guarded by each stock document's update time (optimistic concurrency: no transaction locks, which cost seconds on
 * the emulator under contention); the reservation document is created in the same batch, so a redelivery finds it
 * and announces the same outcome instead of reserving twice.
 */
export function createInventoryReserve(deps: { firestore: Firestore }): StepHandler<'payment.charged'> {
  const fs = deps.firestore;
  return async (charged, { now, log }) => {
    const { orderId, paymentId, lines } = charged.data;
    const reservationRef = fs.collection(collections.reservations).doc(orderId);
    const stockRefs = [...new Set(lines.map((l) => l.productId))].map((id) => fs.collection(collections.stock).doc(id));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const [reservation, ...stock] = await fs.getAll(reservationRef, ...stockRefs);
      if (reservation!.exists) {
        log.info({ attempt }, 'reservation already decided; announcing it again');
        return [reservationOutcome(ReservationDoc.parse(reservation!.data()), charged, now)];
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
          batch.update(
            snap.ref,
            { available: decision.remaining.get(snap.id), updatedAt: Timestamp.fromDate(now) },
            { lastUpdateTime: snap.updateTime! },
          );
        });
      }
      try {
        await batch.commit();
        log.info({ status: doc.status, unavailable: doc.unavailable, attempt }, 'reservation decided');
        return [reservationOutcome(doc, charged, now)];
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== FAILED_PRECONDITION && code !== ALREADY_EXISTS) throw err;
        log.debug({ attempt, code }, 'stock or reservation changed underneath; reading again');
      }
    }
    throw new Error(`stock for order ${orderId} kept changing for ${MAX_ATTEMPTS} attempts; retry later`);
  };
}
