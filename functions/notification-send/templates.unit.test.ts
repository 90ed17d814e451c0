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

  it('when an order is cancelled, then the reason is told and the refund, or that nothing was charged', () => {
    const refunded = render(createEvent('order.cancelled', { orderId, customerId: 'c', reason: 'out_of_stock', refunded: { amount: 3000, currency: 'EUR' }, contact }, at));
    expect(refunded.text).toMatch(/out of stock\. We refunded €30\.00/);
    const declined = render(createEvent('order.cancelled', { orderId, customerId: 'c', reason: 'payment_declined', contact }, at));
    expect(declined.sms).toMatch(/declined.*not charged/);
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
