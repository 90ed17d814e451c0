import { describe, expect, it } from 'vitest';
import { createEvent } from '../lib/events.ts';
import { formatMoney } from '../lib/money.ts';
import { channelsFor } from './handler.ts';
import { render } from './templates.ts';

const orderId = 'a1b2c3d4-0000-4000-8000-000000000001';
const contact = { email: 'a@example.com' };
const at = { correlationId: orderId, cause: null, now: new Date() };

describe('customer messages', () => {
  it('when an order is confirmed, then the email states the items and the total in the order’s currency', () => {
    const message = render(createEvent('order.confirmed', { orderId, customerId: 'c', total: { amount: 7797, currency: 'EUR' }, lines: [{ productId: 'p', quantity: 3 }], contact }, at));
    expect(message).toMatchObject({ template: 'order_confirmed', subject: 'Order A1B2C3D4 confirmed' });
    expect(message.text).toContain('3 items, €77.97');
  });

  it('when an order is cancelled, then the reason is told, and whether money is refunded, a hold released, or nothing taken', () => {
    const cancelled = (reason: 'out_of_stock' | 'payment_declined' | 'timeout' | 'capture_failed', moneyBack: 'none' | 'void' | 'refund') =>
      render(createEvent('order.cancelled', { orderId, customerId: 'c', reason, moneyBack, total: { amount: 3000, currency: 'EUR' }, contact }, at));
    expect(cancelled('timeout', 'refund').text).toMatch(/could not complete it in time\. We are refunding €30\.00/);
    expect(cancelled('out_of_stock', 'void').text).toMatch(/out of stock\. You were not charged: the hold of €30\.00 on your card is released/);
    expect(cancelled('payment_declined', 'none').sms).toMatch(/declined.*not charged/);
    expect(cancelled('capture_failed', 'void').subject).toBe('Order A1B2C3D4 cancelled');
  });

  it('when amounts are in JPY or KWD, then they are shown with the currency’s own decimals', () => {
    expect(formatMoney({ amount: 1234, currency: 'KWD' })).toBe('KWD\u00a01.234');
  });

  it('when amounts are formatted, then each currency keeps its own decimals', () => {
    expect(formatMoney({ amount: 9599, currency: 'EUR' })).toBe('€95.99');
    expect(formatMoney({ amount: 500, currency: 'JPY' })).toBe('¥500');
  });

  it('when a phone is given, then SMS joins email', () => {
    expect(channelsFor(contact)).toEqual([{ channel: 'email', to: 'a@example.com' }]);
    expect(channelsFor({ ...contact, phone: '+4915112345678' }).map((c) => c.channel)).toEqual(['email', 'sms']);
  });
});
