import type { StockLine } from '../../schemas/index.ts';

/** What happens to an order's lines given the stock available now: all reserved, or none. */
export type ReservationDecision =
  | { ok: true; remaining: Map<string, number> }
  | { ok: false; unavailable: { productId: string; requested: number; available: number }[] };

/** Reserves every line or nothing: the order goes through only if each product has enough units. */
export function decideReservation(lines: readonly StockLine[], available: ReadonlyMap<string, number>): ReservationDecision {
  // A product may stand on several lines: what counts is the total asked of it.
  const requested = new Map<string, number>();
  for (const l of lines) requested.set(l.productId, (requested.get(l.productId) ?? 0) + l.quantity);
  const wanted = [...requested].map(([productId, quantity]) => ({ productId, requested: quantity, available: available.get(productId) ?? 0 }));
  const unavailable = wanted.filter((w) => w.available < w.requested);
  if (unavailable.length > 0) return { ok: false, unavailable };
  return { ok: true, remaining: new Map(wanted.map((w) => [w.productId, w.available - w.requested])) };
}
