import { afterAll, beforeAll } from 'vitest';
import type { EventData } from '../../schemas/index.ts';
export { placedData } from './events.ts';
import { insertOrder } from '../../functions/lib/db/orders.repository.ts';
import { createHttpPaymentProvider } from '../../functions/lib/payments/http-provider.ts';
import { newId } from '../../functions/lib/ids.ts';
import { startPaymentSimulator } from '../../scripts/providers/payment-simulator.ts';
import { database } from './saga.ts';

/** A payment simulator of this test file's own, with a provider client pointed at it. */
export function usePaymentSimulator() {
  const state = {} as { url: string; provider: ReturnType<typeof createHttpPaymentProvider>; close(): Promise<void> };
  beforeAll(async () => {
    const sim = await startPaymentSimulator(0);
    Object.assign(state, sim, { provider: createHttpPaymentProvider({ baseUrl: sim.url, timeoutMs: 2000 }) });
  });
  afterAll(() => state.close());
  return state;
}

/** Stores a PENDING order as the orders API would. */
export async function storePendingOrder(data: EventData<'order.placed'>): Promise<void> {
  await insertOrder(database(), {
    id: data.orderId,
    customerId: data.customerId,
    total: data.total,
    contact: data.contact,
    lines: data.lines.map((l) => ({ ...l, name: l.productId })),
    placedEventId: newId(),
    now: new Date(),
  });
}
