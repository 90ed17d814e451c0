import { describe, expect, it } from 'vitest';
import { replayEffects, type ReplayState } from './replay-effects.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const state = (over: Partial<ReplayState> = {}): ReplayState => ({
  order: { status: 'PENDING', total: eur(2599), hasPhone: true },
  payment: null,
  reservation: null,
  told: new Set(),
  ...over,
});
const kinds = (letter: { function: string; eventType: string | null }, s: ReplayState) => replayEffects(letter, s).map((e) => e.kind);

describe('replayEffects', () => {
  it('when an authorization never happened, then replaying order.placed authorizes the total; once authorized, nothing', () => {
    expect(replayEffects({ function: 'payment-authorize', eventType: 'order.placed' }, state())).toEqual([{ kind: 'authorize', detail: 'authorize €25.99' }]);
    expect(kinds({ function: 'payment-authorize', eventType: 'order.placed' }, state({ payment: { status: 'AUTHORIZED', amount: eur(2599) } }))).toEqual([]);
  });

  it('when a capture is due, then replaying inventory.reserved captures; a cancelled order is never captured', () => {
    const authorized = { payment: { status: 'AUTHORIZED' as const, amount: eur(2599) } };
    expect(kinds({ function: 'payment-capture', eventType: 'inventory.reserved' }, state(authorized))).toEqual(['capture']);
    expect(kinds({ function: 'payment-capture', eventType: 'inventory.reserved' }, state({ ...authorized, order: { status: 'CANCELLED', total: eur(2599), hasPhone: false } }))).toEqual([]);
  });

  it('when the order is still pending, then replaying payment.captured confirms it and tells the customer on each channel not yet used', () => {
    expect(kinds({ function: 'order-confirm', eventType: 'payment.captured' }, state())).toEqual(['confirm', 'email', 'sms']);
    expect(kinds({ function: 'order-confirm', eventType: 'payment.captured' }, state({ told: new Set(['order_confirmed/email']) }))).toEqual(['confirm', 'sms']);
  });

  it('when a cancelled order still holds money or stock, then replaying order.cancelled gives back exactly what is held', () => {
    const cancelled = { order: { status: 'CANCELLED' as const, total: eur(2599), hasPhone: false } };
    expect(kinds({ function: 'payment-release', eventType: 'order.cancelled' }, state({ ...cancelled, payment: { status: 'AUTHORIZED', amount: eur(2599) } }))).toEqual(['void']);
    expect(kinds({ function: 'payment-release', eventType: 'order.cancelled' }, state({ ...cancelled, payment: { status: 'CAPTURED', amount: eur(2599) } }))).toEqual(['refund']);
    expect(kinds({ function: 'payment-release', eventType: 'order.cancelled' }, state({ ...cancelled, payment: { status: 'VOIDED', amount: eur(2599) } }))).toEqual([]);
    expect(kinds({ function: 'inventory-release', eventType: 'order.cancelled' }, state({ ...cancelled, reservation: 'RESERVED' }))).toEqual(['release']);
    expect(kinds({ function: 'inventory-release', eventType: 'order.cancelled' }, state({ ...cancelled, reservation: 'RELEASED' }))).toEqual([]);
  });

  it('when replaying a failure of a pending order, then it is cancelled with its money and stock given back and the customer told', () => {
    const s = state({ payment: { status: 'AUTHORIZED', amount: eur(2599) }, reservation: 'RESERVED' });
    expect(kinds({ function: 'order-cancel', eventType: 'payment.capture_failed' }, s)).toEqual(['cancel', 'void', 'release', 'email', 'sms']);
  });

  it('when everything already happened or the order is gone, then a replay does nothing again', () => {
    const told = state({ order: { status: 'CONFIRMED', total: eur(1), hasPhone: true }, told: new Set(['order_confirmed/email', 'order_confirmed/sms']) });
    expect(kinds({ function: 'notification-send', eventType: 'order.confirmed' }, told)).toEqual([]);
    expect(kinds({ function: 'payment-authorize', eventType: 'order.placed' }, state({ order: null }))).toEqual([]);
  });
});
