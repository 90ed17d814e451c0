import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope, OrderTimeline } from '../../schemas/index.ts';
import { stableId } from '../../functions/lib/ids.ts';
import { faultControl } from '../../scripts/stack/fault-proxy.ts';
import { api, database, emailsTo, eventually, finalOrder, paymentsOf, placeOrder, seedProduct, stack, stockOf, tokenFor, unique } from '../support/saga.ts';

const pubsub = new PubSub({ projectId: stack.project });
afterAll(() => pubsub.close());

const admin = () => tokenFor(unique('ops'), { role: 'admin' });
const key = () => ({ 'Idempotency-Key': randomUUID() });
type Page = { items: { id: string; customerId: string; status: string; cancellationReason: string | null }[] };

const faults = faultControl(stack.faults);

/**
 * An order placed while the payment provider hangs: it stays in flight (its authorization times out and is retried)
 * until `work` is done and the provider answers again.
 */
async function withOrderInFlight(product: string, token: string, email: string, work: (orderId: string) => Promise<void>): Promise<string> {
  await faults.set('payment', 'hang');
  try {
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 2 }], contact: { email } });
    await eventually(
      async () => (await api(`/v1/orders/${orderId}/timeline`, { token: await admin() })).body as unknown as OrderTimeline,
      (t) => t.entries.some((e) => e.kind === 'delivery' && e.function === 'payment-authorize' && e.outcome === 'failed'),
      30_000,
    );
    await work(orderId);
    return orderId;
  } finally {
    await faults.set('payment', 'pass');
  }
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
    const ops = await admin();
    const orderId = await withOrderInFlight(product, token, email, async (id) => {
      const cancel = await api(`/v1/admin/orders/${id}/cancel`, { token: ops, json: { reason: 'customer called to cancel' }, headers: key() });
      expect(cancel).toMatchObject({ status: 202, body: { orderId: id, status: 'CANCELLED', published: { type: 'order.cancelled' } } });
    });
    expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'cancelled_by_shop' });
    const mail = await eventually(() => emailsTo(email), (m) => m.length > 0, 30_000);
    expect(mail[0]!.text).toMatch(/cancelled because we could not fulfil it/);
    expect(await stockOf(product)).toBe(5);
    // Whatever the provider did with the hung authorization is given back: nothing captured, every hold voided.
    await eventually(() => paymentsOf(orderId), (p) => p.authorizations === p.voids, 30_000);
    expect(await paymentsOf(orderId)).toMatchObject({ captures: 0, refunds: 0 });

    const timeline = (await api(`/v1/orders/${orderId}/timeline`, { token: ops })).body as unknown as OrderTimeline;
    expect(timeline.entries.find((e) => e.kind === 'operator')).toMatchObject({ action: 'order.cancel', reason: 'customer called to cancel', actor: expect.stringMatching(/^ops-/) });
    expect((await api(`/v1/admin/orders/${orderId}/cancel`, { token: ops, json: { reason: 'again' }, headers: key() })).status).toBe(409);
  });

  it('when dead letters are replayed in bulk, then a dry run first says what each would do again and changes nothing, and the replay then does it', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('dee'));
    const ops = await admin();
    const select = { function: 'payment-authorize', productId: product };
    const orderId = await withOrderInFlight(product, token, `${unique('dee')}@example.com`, async (id) => {
      // As Pub/Sub does after the last attempt: the order's order.placed goes to payment-authorize's dead-letter topic.
      const rows = await database()('outbox').where({ event_id: stableId(id, 'order.placed') }).select('envelope');
      const placed = rows[0]!.envelope as Envelope;
      await pubsub.topic('dead-letter.payment-authorize').publishMessage({
        json: placed,
        attributes: { type: placed.type, eventId: placed.metadata.eventId, correlationId: id, sagaDeadLetterSourceTopic: 'order.placed' },
      });
      await eventually(async () => (await api(`/v1/admin/dead-letters?orderId=${id}`, { token: ops })).body as unknown as Page, (p) => p.items.length === 1);

      const dry = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'replay', dryRun: true, select }, headers: key() });
      expect(dry).toMatchObject({ status: 200, body: { dryRun: true, matched: 1, totals: { authorize: 1 } } });
      expect((dry.body as { items: unknown[] }).items).toEqual([
        expect.objectContaining({ orderId: id, outcome: 'would-replay', refused: null, effects: [{ kind: 'authorize', detail: expect.stringMatching(/^authorize /) }] }),
      ]);
      expect(((await api(`/v1/admin/dead-letters?orderId=${id}`, { token: ops })).body as unknown as Page).items).toHaveLength(1);
    });

    const done = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'replay', dryRun: false, select }, headers: key() });
    expect(done).toMatchObject({ status: 200, body: { dryRun: false, matched: 1, items: [expect.objectContaining({ outcome: 'replayed' })] } });
    expect(((await api(`/v1/admin/dead-letters?orderId=${orderId}&status=replayed`, { token: ops })).body as unknown as Page).items).toHaveLength(1);
    // The replay and the step's own retries authorize once between them, and the saga runs on to the end.
    expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CONFIRMED' });
    expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 1, captures: 1 });
    const again = await api('/v1/admin/dead-letters/bulk', { token: ops, json: { action: 'discard', dryRun: false, select }, headers: key() });
    expect(again).toMatchObject({ status: 400 });
  });
});
