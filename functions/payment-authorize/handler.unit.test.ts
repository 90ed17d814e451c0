import { describe, expect, it } from 'vitest';
import { placedEvent } from '../../test/support/events.ts';
import { paymentRecord } from '../../test/support/records.ts';
import { authorizationOutcome } from './handler.ts';

const placed = placedEvent();
const lines = [{ productId: 'p', quantity: 3 }];

describe('authorizationOutcome', () => {
  it('when the payment was authorized, then payment.authorized carries the amount and the stored lines to reserve', () => {
    const payment = paymentRecord({ orderId: placed.data.orderId });
    expect(authorizationOutcome(payment, lines, placed, new Date())).toMatchObject({
      type: 'payment.authorized',
      data: { orderId: placed.data.orderId, paymentId: payment.id, amount: payment.amount, lines },
      metadata: { causationId: placed.metadata.eventId, correlationId: placed.data.orderId },
    });
  });

  it('when the authorization was declined, then payment.failed carries the decline code', () => {
    expect(authorizationOutcome(paymentRecord({ status: 'DECLINED', declineCode: 'insufficient_funds' }), lines, placed, new Date())).toMatchObject({
      type: 'payment.failed',
      data: { reason: 'payment_declined', declineCode: 'insufficient_funds' },
    });
  });
});
