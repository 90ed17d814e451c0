import { describe, expect, it } from 'vitest';
import {
  api, emailsTo, eventually, finalOrder, paymentsOf, placeOrder, reconcileOrders, seedProduct, smsTo, stockOf, tokenFor, unique,
} from '../support/saga.ts';

/** Waits until the order's customer has been told and the books of the order balance. */
async function settled(orderId: string, email: string) {
  await eventually(() => emailsTo(email), (m) => m.length > 0);
  const report = await eventually(() => reconcileOrders([orderId]), (r) => r.discrepancies.length === 0, 15_000);
  expect(report.discrepancies).toEqual([]);
}

describe('the order saga through the HTTP API', () => {
  it('when the card is approved, then the total is authorized, captured once stock is held, the order CONFIRMED, and email and SMS go out', async () => {
    const product = await seedProduct({ price: 2599, available: 10 });
    const token = await tokenFor(unique('alice'));
    const email = `${unique('alice')}@example.com`;
    const phone = `+1415${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;

    const placed = await api('/v1/orders', {
      token,
      json: { items: [{ productId: product, quantity: 3 }], payment: { method: 'pm_card_visa' }, contact: { email, phone } },
    });
    expect(placed.status).toBe(202);
    expect(placed.headers.get('location')).toBe(`/v1/orders/${placed.body!.id}`);
    expect(placed.body).toMatchObject({ status: 'PENDING', total: { amount: 7797, currency: 'EUR' } });

    const order = await finalOrder(placed.body!.id as string, token);
    expect(order.status).toBe('CONFIRMED');
    expect(order.payment).toMatchObject({ status: 'CAPTURED', amount: { amount: 7797, currency: 'EUR' }, refund: null });
    expect(order.history.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await paymentsOf(order.id)).toMatchObject({ authorizations: 1, captures: 1, voids: 0, refunds: 0, captured: 7797 });
    expect(await stockOf(product)).toBe(7);
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/confirmed/);
    expect(mails[0]!.text).toContain('€77.97');
    expect(await eventually(() => smsTo(phone), (m) => m.length > 0)).toHaveLength(1);
    await settled(order.id, email);
  });

  it('when the card is declined, then the order is CANCELLED (payment_declined), nothing is held, stock is unchanged', async () => {
    const product = await seedProduct({ available: 4 });
    const token = await tokenFor(unique('bob'));
    const email = `${unique('bob')}@example.com`;
    const id = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_chargeDeclined' }, contact: { email } });

    const order = await finalOrder(id, token);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment_declined' });
    expect(order.payment).toMatchObject({ status: 'DECLINED', declineCode: 'generic_decline' });
    expect(await stockOf(product)).toBe(4);
    expect(await paymentsOf(id)).toMatchObject({ authorizations: 0, captures: 0 });
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/cancelled/)]);
    expect(mails[0]!.text).toMatch(/declined.*not charged/);
    await settled(id, email);
  });

  it('when a line is out of stock after authorization, then the authorization is voided (never captured, no refund) and the order CANCELLED', async () => {
    const plenty = await seedProduct({ price: 1000, available: 10 });
    const scarce = await seedProduct({ price: 500, available: 1 });
    const token = await tokenFor(unique('carol'));
    const email = `${unique('carol')}@example.com`;
    const id = await placeOrder(token, { items: [{ productId: plenty, quantity: 2 }, { productId: scarce, quantity: 2 }], contact: { email } });

    const order = await eventually(() => finalOrder(id, token), (o) => o.payment?.status === 'VOIDED');
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'out_of_stock' });
    expect(await paymentsOf(id)).toMatchObject({ authorizations: 1, captures: 0, voids: 1, refunds: 0 });
    expect([await stockOf(plenty), await stockOf(scarce)]).toEqual([10, 1]);
    const mails = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mails[0]!.text).toMatch(/out of stock.*not charged: the hold of €30\.00 on your card is released/);
    await settled(id, email);
  });

  it('when the capture is refused, then the reserved stock goes back and the order is CANCELLED (capture_failed)', async () => {
    const product = await seedProduct({ available: 6 });
    const token = await tokenFor(unique('cora'));
    const email = `${unique('cora')}@example.com`;
    const id = await placeOrder(token, { items: [{ productId: product, quantity: 2 }], payment: { method: 'pm_card_captureFails' }, contact: { email } });

    const order = await finalOrder(id, token);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'capture_failed' });
    await eventually(() => stockOf(product), (n) => n === 6);
    expect(await paymentsOf(id)).toMatchObject({ authorizations: 1, captures: 0, refunds: 0 });
    await settled(id, email);
  });

  it('when the payment provider fails transiently, then the call is retried and the order is CONFIRMED, authorized and captured once', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('dave'));
    const email = `${unique('dave')}@example.com`;
    const id = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_transientFailure' }, contact: { email } });

    expect((await finalOrder(id, token)).status).toBe('CONFIRMED');
    expect(await paymentsOf(id)).toMatchObject({ authorizations: 1, captures: 1 });
    expect(await stockOf(product)).toBe(4);
    await settled(id, email);
  });

  it('when prices are in EUR, JPY (no minor unit) and KWD (three decimals), then totals are exact integers in minor units everywhere', async () => {
    const cases = [
      { currency: 'EUR', price: 1999, quantity: 3, total: 5997, text: '€59.97' },
      { currency: 'JPY', price: 1580, quantity: 3, total: 4740, text: '¥4,740' },
      { currency: 'KWD', price: 1250, quantity: 3, total: 3750, text: 'KWD 3.750' },
    ];
    const token = await tokenFor(unique('yen'));
    for (const c of cases) {
      const product = await seedProduct({ price: c.price, currency: c.currency, available: 9 });
      const email = `${unique(c.currency.toLowerCase())}@example.com`;
      const id = await placeOrder(token, { items: [{ productId: product, quantity: c.quantity }], contact: { email } });
      const order = await finalOrder(id, token);
      expect(order).toMatchObject({ status: 'CONFIRMED', total: { amount: c.total, currency: c.currency }, payment: { amount: { amount: c.total, currency: c.currency } } });
      expect(order.lines[0]).toMatchObject({ unitPrice: { amount: c.price, currency: c.currency }, lineTotal: { amount: c.total, currency: c.currency } });
      expect((await paymentsOf(id)).intents).toEqual([expect.objectContaining({ amount: c.total, currency: c.currency.toLowerCase(), status: 'succeeded' })]);
      const [mail] = await eventually(() => emailsTo(email), (m) => m.length > 0);
      expect(mail!.text.replace(/\u00a0/g, ' ')).toContain(c.text);
      await settled(id, email);
    }
  });
});
