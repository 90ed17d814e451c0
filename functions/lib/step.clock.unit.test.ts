import { describe, expect, it } from 'vitest';
import { createEvent } from './events.ts';
import { createLogger } from './logger.ts';
import { pubsubStep } from './step.ts';

const orderId = '6d2f4c1a-8b3e-4f5a-9c7d-1e2f3a4b5c6d';
const placed = createEvent(
  'order.placed',
  {
    orderId,
    customerId: 'alice',
    total: { amount: 100, currency: 'EUR' },
    lines: [{ productId: 'p', quantity: 1, unitPrice: { amount: 100, currency: 'EUR' } }],
    payment: { token: 'tok_visa' },
    contact: { email: 'a@example.com' },
  },
  { correlationId: orderId, cause: null, now: new Date('2026-01-01T00:00:00Z') },
);
const ce = { id: 'm1', data: { message: { data: Buffer.from(JSON.stringify(placed)).toString('base64'), messageId: 'm1' } } };

describe('pubsubStep clock', () => {
  it('when a clock is injected, then the handler’s now is the clock’s time', async () => {
    const at = new Date('2030-05-06T07:08:09Z');
    const seen: Date[] = [];
    const run = pubsubStep(
      'payment-charge',
      () => async (_event, { now }) => {
        seen.push(now);
        return [];
      },
      { publish: async () => {}, log: createLogger({ level: 'silent' }), timeoutMs: 1000, clock: () => at },
    );
    await run(ce as never);
    expect(seen).toEqual([at]);
  });
});
