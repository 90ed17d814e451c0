import type { Money, PlaceOrderRequest } from '../../schemas/index.ts';
import type { Product } from '../lib/catalog.ts';
import type { NewOrderLine } from '../lib/db/orders.repository.ts';

/** The outcome of pricing an order request against the catalog. */
export type Priced =
  | { ok: true; lines: NewOrderLine[]; total: Money }
  | { ok: false; problem: 'unknown-product'; productIds: string[] }
  | { ok: false; problem: 'mixed-currencies'; currencies: string[] };

/** Prices each requested item from the catalog; the client never sets a price. */
export function priceOrder(items: PlaceOrderRequest['items'], catalog: ReadonlyMap<string, Product>): Priced {
  const missing = items.filter((i) => !catalog.has(i.productId)).map((i) => i.productId);
  if (missing.length > 0) return { ok: false, problem: 'unknown-product', productIds: missing };
  const lines = items.map((item) => {
    const product = catalog.get(item.productId)!;
    return { productId: item.productId, name: product.name, quantity: item.quantity, unitPrice: product.price };
  });
  const currencies = [...new Set(lines.map((l) => l.unitPrice.currency))];
  if (currencies.length !== 1) return { ok: false, problem: 'mixed-currencies', currencies };
  const amount = lines.reduce((sum, l) => sum + l.unitPrice.amount * l.quantity, 0);
  return { ok: true, lines, total: { amount, currency: currencies[0]! } };
}
