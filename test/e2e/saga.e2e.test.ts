import { describe, expect, it } from 'vitest';
import { api, chargesFor, emailsTo, eventually, finalOrder, placeOrder, seedProduct, smsTo, stockOf, tokenFor, unique } from '../support/saga.ts';

describe('the order saga through the HTTP API', () => {
  it('when the card is approved, then the order is CONFIRMED, stock goes down and the customer gets an email and an SMS', async () => {
    const product = await seedProduct({ price: 2599, available: 10 });
    const token = await tokenFor(unique('alice'));
    const email = `${unique('alice')}@example.com`;
    const phone = `+1415${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;

    const placed = await api('/v1/orders', {
      token,
      json: { items: [{ productId: product, quantity: 3 }], payment: { token: 'tok_visa' }, contact: { email, phone } },
    });
    expect(placed.status).toBe(202);
    expect(placed.headers.get('location')).toBe(`/v1/orders/${placed.body!.id}`);
    expect(placed.body).toMatchObject({ status: 'PENDING', total: { amount: 7797, currency: 'EUR' } });

    const order = await finalOrder(placed.body!.id as string, token);
    expect(order.status).toBe('CONFIRMED');
    expect(order.payment).toMatchObject({ status: 'CAPTURED', amount: { amount: 7797, currency: 'EUR' }, refund: null });
    expect(order.history.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await stockOf(product)).toBe(7);
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/confirmed/);
    expect(mails[0]!.text).toContain('€77.97');
    expect(await eventually(() => smsTo(phone), (m) => m.length > 0)).toHaveLength(1);
  });

  it('when the card is declined, then the order is CANCELLED (payment_declined), stock is unchanged and a cancellation email goes out', async () => {
    const product = await seedProduct({ available: 4 });
    const token = await tokenFor(unique('bob'));
    const email = `${unique('bob')}@example.com`;

    const id = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { token: 'tok_chargeDeclined' }, contact: { email } });

    const order = await finalOrder(id, token);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment_declined' });
    expect(order.payment).toMatchObject({ status: 'DECLINED', declineCode: 'generic_decline' });
    expect(await stockOf(product)).toBe(4);
    expect(await chargesFor(id)).toEqual([]);
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/cancelled/)]);
    expect(mails[0]!.text).toMatch(/declined.*not charged/);
  });

  it('when payment succeeds but a line is out of stock, then the payment is refunded, the order is CANCELLED (out_of_stock) and no stock moves', async () => {
    const plenty = await seedProduct({ price: 1000, available: 10 });
    const scarce = await seedProduct({ price: 500, available: 1 });
    const token = await tokenFor(unique('carol'));
    const email = `${unique('carol')}@example.com`;

    const id = await placeOrder(token, {
      items: [{ productId: plenty, quantity: 2 }, { productId: scarce, quantity: 2 }],
      contact: { email },
    });

    const order = await eventually(
      async () => finalOrder(id, token),
      (o) => o.payment?.refund !== null,
    );
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'out_of_stock' });
    expect(order.payment).toMatchObject({ status: 'REFUNDED', refund: { amount: { amount: 3000, currency: 'EUR' } } });
    expect(await stockOf(plenty)).toBe(10);
    expect(await stockOf(scarce)).toBe(1);
    const charges = await chargesFor(id);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.refunded).toBe(true);
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails[0]!.text).toMatch(/out of stock.*refunded €30\.00/);
  });

  it('when the payment provider fails transiently, then the charge is retried and the order is CONFIRMED, charged once', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('dave'));

    const id = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { token: 'tok_transientFailure' } });

    const order = await finalOrder(id, token);
    expect(order.status).toBe('CONFIRMED');
    const charges = await chargesFor(id);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.attempts).toBe(2);
    expect(await stockOf(product)).toBe(4);
  });
});
