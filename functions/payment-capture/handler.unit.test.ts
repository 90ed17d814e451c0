import { describe, expect, it } from 'vitest';
import { orderRecord, paymentRecord } from '../../test/support/records.ts';
import { eventOf } from '../../test/support/step.ts';
import { captureOutcome, decideCapture } from './handler.ts';

describe('decideCapture', () => {
  it('when a pending order’s payment is authorized, then it is captured', () => {
    expect(decideCapture(orderRecord(), paymentRecord())).toBe('capture');
  });

  it('when the order has ended (cancelled, timed out), then nothing is captured, whatever the payment', () => {
    for (const status of ['CANCELLED', 'CONFIRMED'] as const) expect(decideCapture(orderRecord({ status }), paymentRecord())).toBe('order-ended');
  });

  it('when the capture was decided before, then it is announced again', () => {
    expect(decideCapture(orderRecord(), paymentRecord({ status: 'CAPTURED' }))).toBe('announce');
    expect(decideCapture(orderRecord(), paymentRecord({ status: 'CAPTURE_FAILED' }))).toBe('announce');
  });

  it('when there is no authorized payment, then it is impossible to capture', () => {
    expect(decideCapture(orderRecord(), null)).toBe('impossible');
    expect(decideCapture(orderRecord(), paymentRecord({ status: 'AUTHORIZING' }))).toBe('impossible');
  });
});

describe('captureOutcome', () => {
  const reserved = eventOf('inventory.reserved', { orderId: orderRecord().id, paymentId: paymentRecord().id, lines: [{ productId: 'p', quantity: 1 }] }, orderRecord().id);

  it('when captured, then payment.captured carries the amount; when refused, then payment.capture_failed the code', () => {
    expect(captureOutcome(paymentRecord({ status: 'CAPTURED' }), reserved, new Date())).toMatchObject({ type: 'payment.captured', data: { amount: { amount: 300, currency: 'EUR' } } });
    expect(captureOutcome(paymentRecord({ status: 'CAPTURE_FAILED', captureError: 'charge_expired_for_capture' }), reserved, new Date())).toMatchObject({
      type: 'payment.capture_failed',
      data: { reason: 'capture_failed', code: 'charge_expired_for_capture' },
    });
  });
});
