import { describe, expect, it } from 'vitest';
import { paymentRecord } from '../../test/support/records.ts';
import { decideMoneyBack } from './handler.ts';

describe('decideMoneyBack', () => {
  it('when an authorization is open, then it is voided (no refund, no fee); a failed capture’s hold too', () => {
    expect(decideMoneyBack(paymentRecord({ status: 'AUTHORIZED' }))).toBe('void');
    expect(decideMoneyBack(paymentRecord({ status: 'CAPTURE_FAILED' }))).toBe('void');
  });

  it('when the money was captured, then it is refunded', () => expect(decideMoneyBack(paymentRecord({ status: 'CAPTURED' }))).toBe('refund'));

  it('when an authorization’s outcome was never recorded, then it is resolved first', () => {
    expect(decideMoneyBack(paymentRecord({ status: 'AUTHORIZING', intentId: null }))).toBe('resolve-authorization');
  });

  it('when nothing was taken, then there is nothing to give back', () => {
    expect(decideMoneyBack(null)).toBe('nothing');
    expect(decideMoneyBack(paymentRecord({ status: 'DECLINED' }))).toBe('nothing');
  });

  it('when the money is back already, then that is announced again', () => {
    expect(decideMoneyBack(paymentRecord({ status: 'VOIDED' }))).toBe('announce-voided');
    expect(decideMoneyBack(paymentRecord({ status: 'REFUNDED' }))).toBe('announce-refunded');
  });
});
