import { describe, expect, it } from 'vitest';
import { createEvent } from '../lib/events.ts';
import { cancellationOf } from './handler.ts';

const orderId = 'a1b2c3d4-0000-4000-8000-000000000001';
const at = { correlationId: orderId, cause: null, now: new Date() };

describe('cancellationOf', () => {
  it('when a compensation arrives, then the cancellation carries its reason and any refund', () => {
    const failed = createEvent('payment.failed', { orderId, paymentId: orderId, reason: 'payment_declined', declineCode: 'x' }, at);
    const refunded = createEvent('payment.refunded', { orderId, paymentId: orderId, refundId: orderId, amount: { amount: 5, currency: 'EUR' }, reason: 'out_of_stock' }, at);
    expect(cancellationOf(failed)).toEqual({ reason: 'payment_declined' });
    expect(cancellationOf(refunded)).toEqual({ reason: 'out_of_stock', refunded: { amount: 5, currency: 'EUR' } });
  });
});
