import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope, OrderTimeline } from '../../schemas/index.ts';
import { stableId } from '../../functions/lib/ids.ts';
import { api, database, emailsTo, eventually, finalOrder, paymentsOf, placeOrder, seedProduct, stack, stockOf, tokenFor, unique } from '../support/saga.ts';

const pubsub = new PubSub({ projectId: stack.project });
afterAll(() => pubsub.close());

const admin = () => tokenFor(unique('ops'), { role: 'admin' });
const key = () => ({ 'Idempotency-Key': randomUUID() });
type Page = { items: { id: string; customerId: string; status: string; cancellationReason: string | null }[] };

/** An order whose authorization keeps failing (pm_card_unavailable): it stays in flight while its step retries. */
async function inFlightOrder(product: string, token: string, email: string): Promise<string> {
  const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 2 }], payment: { method: 'pm_card_unavailable' }, contact: { email } });
  await eventually(
    async () => (await api(`/v1/orders/${orderId}/timeline`, { token: await admin() })).body as unknown as OrderTimeline,
    (t) => t.entries.some((e) => e.kind === 'delivery' && e.function === 'payment-authorize' && e.outcome === 'failed'),
  );
  return orderId;
}

describe('operating the saga through the admin API', () => {
  it('when an admin lists orders, then every customer’s are there, filtered by status and reason; a customer may not list them', async () => {
    const product = await seedProduct({ available: 5 });
    const [ann, ben] = [await tokenFor(unique('ann')), await tokenFor(unique('ben'))];
    const confirmed = await placeOrder(ann, { items: [{ productId: product, quantity: 1 }] });
    const declined = await placeOrder(ben, { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_chargeDeclined' } });
    await finalOrder(confirmed, ann);
    await finalOrder(declined, ben);
    const token = await admin();
    const all = (await api('/v1/admin/orders?limit=100', { token })).body as unknown as Page;
    expect(all.items.map((o) => o.id)).toEqual(expect.arrayContaining([confirmed, declined]));
    const cancelled = (await api('/v1/admin/orders?status=CANCELLED&reason=payment_declined&limit=100', { token })).body as unknown as Page;
    expect(cancelled.items.map((o) => o.id)).toContain(declined);
    expect(cancelled.items.every((o) => o.status === 'CANCELLED' && o.cancellationReason === 'payment_declined')).toBe(true);
    expect((await api('/v1/admin/orders', { token: ann })).status).toBe(403);
  });

  it('when an admin cancels an order in flight, then it is CANCELLED by the shop, its hold is given back, stock is unchanged, the customer told, and the timeline says who and why', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('cal'));
    const email = `${unique('cal')}@example.com`;
    const orderId = await inFlightOrder(product, token, email);
    const ops = await admin();

    const cancel = await api(`/v1/admin/orders/${orderId}/cancel`, { token: ops, json: { reason: 'customer called to cancel' }, headers: key() });
    expect(cancel).toMatchObject({ status: 202, body: { orderId, status: 'CANCELLED', published: { type: 'order.cancelled' } } });
    expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'cancelled_by_shop' });
    const mail = await eventually(() => emailsTo(email), (m) => m.length > 0);
    expect(mail[0]!.text).toMatch(/cancelled because we could not fulfil it/);
    expect(await stockOf(product)).toBe(5);
    expect(await paymentsOf(orderId)).toMatchObject({ captures: 0 });

    const timeline = (await api(`/v1/orders/${orderId}/timeline`, { token: ops })).body as unknown as OrderTimeline;
    expect(timeline.entries.find((e) => e.kind === 'operator')).toMatchObject({ action: 'order.cancel', reason: 'customer called to cancel', actor: expect.stringMatching(/^ops-/) });
    expect((await api(`/v1/admin/orders/${orderId}/cancel`, { token: ops, json: { reason: 'again' }, headers: key() })).status).toBe(409);
  });

  it('when dead letters are replayed in bulk, then a dry run first says what each would do again and changes nothing, and the replay then does it', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('dee'));
    const orderId = await inFlightOrder(product, token, `${unique('dee')}@example.com`);
    // As Pub/Sub does after the last attempt: the order's order.placed goes to payment-authorize's dead-letter topic.
    const rows = await database()('outbox').where({ event_id: stableId(orderId, 'order.placed') }).select('envelope');
    const placed = rows[0]!.envelope as Envelope;
    await pubsub.topic('dead-letter.payment-authorize').publishMessage({
      json: placed,
      attributes: { type: placed.type, eventId: placed.metadata.eventId, correlationId: orderId, sagaDeadLetterSourceTopic: 'order.placed' },
    });
    const ops = await admin();
    await eventually(async () => (await api(`/v1/admin/dead-letters?orderId=${orderId}`, { token: ops })).body as unknown as Page, (p) => p.items.length === 1);
    const select = { function: 'payment-authorize', productId: product };

    const dry = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'replay', dryRun: true, select }, headers: key() });
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, matched: 1, totals: { authorize: 1 } } });
    expect((dry.body as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ orderId, outcome: 'would-replay', refused: null, effects: [{ kind: 'authorize', detail: expect.stringMatching(/^authorize /) }] }),
    ]);
    expect(((await api(`/v1/admin/dead-letters?orderId=${orderId}`, { token: ops })).body as unknown as Page).items).toHaveLength(1);

    const done = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'replay', dryRun: false, select }, headers: key() });
    expect(done).toMatchObject({ status: 200, body: { dryRun: false, matched: 1, items: [expect.objectContaining({ outcome: 'replayed' })] } });
    expect(((await api(`/v1/admin/dead-letters?orderId=${orderId}&status=replayed`, { token: ops })).body as unknown as Page).items).toHaveLength(1);
    const again = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'discard', dryRun: false, select }, headers: key() });
    expect(again).toMatchObject({ status: 400 });
    await api(`/v1/admin/orders/${orderId}/cancel`, { token: ops, json: { reason: 'test over' }, headers: key() });
  });
});
