import { describe, expect, it } from 'vitest';
import type { ProviderIntent } from './payments/provider.ts';
import { judgeOrder } from './reconcile.ts';

const orderId = 'a1b2c3d4-0000-4000-8000-000000000001';
const lines = [{ productId: 'p', quantity: 2 }];
const order = (over: Partial<Parameters<typeof judgeOrder>[0]> = {}): Parameters<typeof judgeOrder>[0] => ({
  id: orderId,
  status: 'CONFIRMED',
  attention: null,
  total: 500,
  currency: 'EUR',
  updatedAt: new Date(),
  deadlineAt: new Date(),
  lines,
  payment: { status: 'CAPTURED', intentId: 'pi_1' },
  emails: [{ template: 'order_confirmed', status: 'sent' }],
  ...over,
});
const intent = (over: Partial<ProviderIntent> = {}): ProviderIntent => ({
  id: 'pi_1', status: 'succeeded', amount: { amount: 500, currency: 'EUR' }, amountReceived: 500, amountRefunded: 0, orderId, created: new Date(), ...over,
});
const reserved = { status: 'RESERVED' as const, paymentId: 'x', lines, unavailable: [] };
const kinds = (found: { kind: string }[]) => found.map((d) => d.kind);

describe('judgeOrder', () => {
  it('when a confirmed order is captured in full, holds its stock and told its customer once, then the books balance', () => {
    expect(judgeOrder(order(), [intent()], reserved)).toEqual([]);
  });

  it('when a cancelled order’s authorization was voided or its capture refunded, and its stock released, then the books balance', () => {
    const cancelled = order({ status: 'CANCELLED', payment: { status: 'VOIDED', intentId: 'pi_1' }, emails: [{ template: 'order_cancelled', status: 'sent' }] });
    expect(judgeOrder(cancelled, [intent({ status: 'canceled', amountReceived: 0 })], { ...reserved, status: 'RELEASED' })).toEqual([]);
    expect(judgeOrder({ ...cancelled, payment: { status: 'REFUNDED', intentId: 'pi_1' } }, [intent({ amountRefunded: 500 })], null)).toEqual([]);
  });

  it('when a confirmed order was never captured, or captured for another amount, then that is a discrepancy', () => {
    expect(kinds(judgeOrder(order(), [intent({ status: 'requires_capture', amountReceived: 0 })], reserved))).toEqual(['confirmed-not-paid', 'extra-authorization', 'record-disagrees']);
    expect(kinds(judgeOrder(order(), [intent({ amountReceived: 400 })], reserved))).toEqual(['paid-wrong-amount']);
  });

  it('when a cancelled order still has money captured or a hold open, then the money was not returned', () => {
    const cancelled = order({ status: 'CANCELLED', payment: { status: 'CAPTURED', intentId: 'pi_1' }, emails: [{ template: 'order_cancelled', status: 'sent' }] });
    expect(kinds(judgeOrder(cancelled, [intent()], null))).toEqual(['money-not-returned']);
    expect(kinds(judgeOrder(cancelled, [intent({ status: 'requires_capture', amountReceived: 0 })], null))).toContain('money-not-returned');
  });

  it('when stock does not match the outcome, then it is a discrepancy', () => {
    expect(kinds(judgeOrder(order(), [intent()], null))).toEqual(['stock-not-reserved']);
    expect(kinds(judgeOrder(order(), [intent()], { ...reserved, lines: [{ productId: 'p', quantity: 3 }] }))).toEqual(['stock-not-reserved']);
    const cancelled = order({ status: 'CANCELLED', payment: null, emails: [{ template: 'order_cancelled', status: 'sent' }] });
    expect(kinds(judgeOrder(cancelled, [], reserved))).toEqual(['stock-not-released']);
  });

  it('when a finished order told its customer not once, or with the wrong template, then it is a discrepancy', () => {
    expect(kinds(judgeOrder(order({ emails: [] }), [intent()], reserved))).toEqual(['not-told']);
    expect(kinds(judgeOrder(order({ emails: [{ template: 'order_confirmed', status: 'sent' }, { template: 'order_cancelled', status: 'sent' }] }), [intent()], reserved))).toEqual(['wrong-email']);
    expect(judgeOrder(order({ emails: [{ template: 'order_confirmed', status: 'rejected' }] }), [intent()], reserved)).toEqual([]);
  });

  it('when an order needs attention, then it is listed with what to do', () => {
    const [found] = judgeOrder(order({ attention: 'release_failed' }), [intent()], reserved);
    expect(found).toMatchObject({ kind: 'needs-attention', action: expect.stringMatching(/retry/) });
  });
});
