import { describe, expect, it } from 'vitest';
import { placedEvent } from '../../test/support/events.ts';
import type { PaymentRecord } from '../lib/db/payments.repository.ts';
import { paymentOutcome } from './handler.ts';

const placed = placedEvent({
  total: { amount: 300, currency: 'EUR' },
  lines: [{ productId: 'p', quantity: 3, unitPrice: { amount: 100, currency: 'EUR' } }],
});
const orderId = placed.data.orderId;
const payment = (over: Partial<PaymentRecord>): PaymentRecord => ({
  id: orderId, orderId, status: 'CAPTURED', amount: { amount: 300, currency: 'EUR' }, providerChargeId: 'ch_1', declineCode: null, refund: null, ...over,
});

describe('paymentOutcome', () => {
  it('when the payment was captured, then payment.charged carries the amount and the lines to reserve', () => {
    expect(paymentOutcome(payment({}), placed, new Date())).toMatchObject({
      type: 'payment.charged',
      data: { orderId, paymentId: orderId, amount: { amount: 300, currency: 'EUR' }, lines: [{ productId: 'p', quantity: 3 }] },
      metadata: { causationId: placed.metadata.eventId, correlationId: orderId },
    });
  });

  it('when the payment was declined, then payment.failed carries the decline code', () => {
    expect(paymentOutcome(payment({ status: 'DECLINED', declineCode: 'insufficient_funds' }), placed, new Date())).toMatchObject({
      type: 'payment.failed',
      data: { reason: 'payment_declined', declineCode: 'insufficient_funds' },
    });
  });
});
