import { z } from 'zod';
import { StockLine } from '../../schemas/index.ts';

/**
 * A reservation document (`reservations/{orderId}`): the stock decision for an order. RESERVED holds stock, REJECTED
 * held none, RELEASED gave it back — or, written before any reservation, keeps a late one from taking stock for an
 * order that has already ended.
 */
export const ReservationDoc = z.object({
  status: z.enum(['RESERVED', 'REJECTED', 'RELEASED']),
  paymentId: z.string().nullable(),
  lines: z.array(StockLine),
  unavailable: z.array(z.object({ productId: z.string(), requested: z.number(), available: z.number() })),
});
export type ReservationDoc = z.infer<typeof ReservationDoc>;

/** Firestore error codes the optimistic writes meet. */
export const firestoreCodes = { ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

/** True when a write lost an optimistic race (someone wrote first) and should read again. */
export const lostRace = (err: unknown) => {
  const code = (err as { code?: number }).code;
  return code === firestoreCodes.ALREADY_EXISTS || code === firestoreCodes.FAILED_PRECONDITION;
};
