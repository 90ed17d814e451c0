import type { StockLine } from '../../schemas/index.ts';

/** What happens to an order's lines given the stock available now: all reserved, or none. */
export type ReservationDecision =
  | { ok: true; remaining: Map<string, number> }
  | { ok: false; unavailable: { productId: string; requested: number; available: number }[] };

/** Reserves every line or nothing: the order goes through only if each product has enough units. */
export function decideReservation(lines: readonly StockLine[], available: ReadonlyMap<string, number>): ReservationDecision {
  const unavailable = lines
    .map((l) => ({ productId: l.productId, requested: l.quantity, available: available.get(l.productId) ?? 0 }))
    .filter((l) => l.available < l.requested);
  if (unavailable.length > 0) return { ok: false, unavailable };
  return { ok: true, remaining: new Map(lines.map((l) => [l.productId, available.get(l.productId)! - l.quantity])) };
}
