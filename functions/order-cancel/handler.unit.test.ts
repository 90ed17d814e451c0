import { describe, expect, it } from 'vitest';
import { paymentRecord } from '../../test/support/records.ts';
import { eventOf } from '../../test/support/step.ts';
import { moneyBackOf } from '../lib/order-events.ts';
import { cancellationReasonOf } from './handler.ts';

const orderId = 'a1b2c3d4-0000-4000-8000-000000000001';
const paymentId = 'b1b2c3d4-0000-4000-8000-000000000002';

describe('cancellationReasonOf', () => {
  it('when a failure ends the saga, then the cancellation names it', () => {
    expect(cancellationReasonOf(eventOf('payment.failed', { orderId, paymentId, reason: 'payment_declined', declineCode: 'x' }, orderId))).toBe('payment_declined');
    expect(cancellationReasonOf(eventOf('inventory.reservation_failed', { orderId, paymentId, reason: 'out_of_stock', unavailable: [] }, orderId))).toBe('out_of_stock');
    expect(cancellationReasonOf(eventOf('payment.capture_failed', { orderId, paymentId, reason: 'capture_failed', code: 'x' }, orderId))).toBe('capture_failed');
  });
});

describe('moneyBackOf', () => {
  it('when the order is cancelled, then the customer is told whether nothing was taken, a hold is voided or money refunded', () => {
    expect(moneyBackOf(null)).toBe('none');
    expect(moneyBackOf(paymentRecord({ status: 'DECLINED' }))).toBe('none');
    expect(moneyBackOf(paymentRecord({ status: 'AUTHORIZED' }))).toBe('void');
    expect(moneyBackOf(paymentRecord({ status: 'AUTHORIZING' }))).toBe('void');
    expect(moneyBackOf(paymentRecord({ status: 'CAPTURE_FAILED' }))).toBe('void');
    expect(moneyBackOf(paymentRecord({ status: 'CAPTURED' }))).toBe('refund');
  });
});
