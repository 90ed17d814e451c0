import { randomBytes, randomUUID } from 'node:crypto';
import type { EventData } from '../../schemas/index.ts';
import { createEvent } from '../../functions/lib/events.ts';

/** Data of an order.placed event for a new order id (no I/O: usable in every tier). */
export function placedData(overrides: Partial<EventData<'order.placed'>> = {}): EventData<'order.placed'> {
  return {
    orderId: randomUUID(),
    customerId: `cust-${randomBytes(4).toString('hex')}`,
    total: { amount: 2500, currency: 'EUR' },
    lines: [{ productId: 'p-00001', quantity: 1, unitPrice: { amount: 2500, currency: 'EUR' } }],
    payment: { method: 'pm_card_visa' },
    contact: { email: `c-${randomBytes(4).toString('hex')}@example.com` },
    ...overrides,
  };
}

/** An order.placed event that starts a saga, built from `placedData`. */
export function placedEvent(overrides: Partial<EventData<'order.placed'>> = {}) {
  const data = placedData(overrides);
  return createEvent('order.placed', data, { correlationId: data.orderId, cause: null, now: new Date('2026-11-26T10:00:00Z') });
}
