import { describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../lib/db/payments.repository.ts';
import { decideRefund } from './handler.ts';

const base: PaymentRecord = { id: 'p', orderId: 'o', status: 'CAPTURED', amount: { amount: 1, currency: 'EUR' }, providerChargeId: 'ch', declineCode: null, refund: null };

describe('decideRefund', () => {
  it('when the payment is captured, then it is refunded', () => expect(decideRefund(base)).toBe('refund'));
  it('when it was refunded already, then the refund is announced again', () => expect(decideRefund({ ...base, status: 'REFUNDED' })).toBe('announce'));
  it('when it was declined or never made, then there is nothing to undo', () => {
    expect(decideRefund({ ...base, status: 'DECLINED' })).toBe('nothing');
    expect(decideRefund(null)).toBe('nothing');
  });
});
