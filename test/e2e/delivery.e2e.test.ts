import { randomUUID } from 'node:crypto';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes, type OrderTimeline, type OrderTrace } from '../../schemas/index.ts';
import { restoreTopology, startExtraFunction } from '../support/functions.ts';
import {
  api, database, emailsTo, eventually, finalOrder, logLines, paymentsOf, placeOrder, reconcileOrders, seedProduct, smsTo, stack, stockOf, tokenFor, unique,
} from '../support/saga.ts';
import { eventOf } from '../support/step.ts';

const pubsub = new PubSub({ projectId: stack.project });
const captured: Message[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  for (const type of eventTypes) {
    const [sub] = await pubsub.topic(type).createSubscription(unique(`capture.${type}`));
    sub.on('message', (m: Message) => {
      captured.push(m);
      m.ack();
    });
    subscriptions.push(sub);
  }
});

afterAll(async () => {
  await Promise.all(subscriptions.map(async (s) => { await s.close(); await s.delete(); }));
  await pubsub.close();
});

const ofOrder = (orderId: string) => captured.filter((m) => m.attributes.correlationId === orderId);

/** Waits until no new message of the order has arrived for `quietMs`. */
async function quiescent(orderId: string, quietMs = 2500): Promise<void> {
  let seen = -1;
  await eventually(
    async () => {
      const now = ofOrder(orderId).length;
      const stable = now === seen;
      seen = now;
      return stable;
    },
    (stable) => stable,
    30_000,
  );
  await new Promise((r) => setTimeout(r, quietMs));
  if (ofOrder(orderId).length !== seen) await quiescent(orderId, quietMs);
}

const admin = () => tokenFor(unique('ops'), { role: 'admin' });
const deadLettersOf = async (orderId: string, status = 'open') =>
  ((await api(`/v1/admin/dead-letters?orderId=${orderId}&status=${status}`, { token: await admin() })).body as { items: Record<string, unknown>[] }).items;

describe('Pub/Sub delivery', () => {
  it('when every event of a saga is delivered twice, then each has exactly one effect', async () => {
    const product = await seedProduct({ available: 9 });
    const token = await tokenFor(unique('ivan'));
    const email = `${unique('ivan')}@example.com`;
    const phone = '+4930' + String(Math.floor(1e7 + Math.random() * 8e7));
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 2 }], contact: { email, phone } });
    await finalOrder(orderId, token);
    await eventually(async () => ofOrder(orderId).filter((m) => m.attributes.type === 'notification.sent').length, (n) => n === 2);
    await quiescent(orderId);
    const originals = [...ofOrder(orderId)];
    expect(originals.map((m) => m.attributes.type).sort()).toEqual(
      ['inventory.reserved', 'notification.sent', 'notification.sent', 'order.confirmed', 'order.placed', 'payment.authorized', 'payment.captured'],
    );

    // Deliver each event a second time: the same application event, as a new Pub/Sub message.
    for (const m of originals) await pubsub.topic(m.attributes.type!).publishMessage({ data: m.data, attributes: m.attributes });
    await quiescent(orderId);

    const eventIdsByType = (messages: Message[]) =>
      Object.fromEntries(eventTypes.map((t) => [t, [...new Set(messages.filter((m) => m.attributes.type === t).map((m) => m.attributes.eventId))].sort()]));
    expect(eventIdsByType(ofOrder(orderId))).toEqual(eventIdsByType(originals));
    expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 1, captures: 1 });
    expect(await stockOf(product)).toBe(7);
    expect(await emailsTo(email)).toHaveLength(1);
    expect(await smsTo(phone)).toHaveLength(1);
    const db = database();
    expect((await db('order_status_history').where({ order_id: orderId })).map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await db('notifications').where({ order_id: orderId }).count({ n: '*' })).toEqual([{ n: 2 }]);
    expect((await reconcileOrders([orderId])).discrepancies).toEqual([]);
  });

  it('when a schema-invalid message arrives, then it is logged once, kept as a dead letter for inspection, and acknowledged', async () => {
    const marker = randomUUID();
    const messageId = await pubsub.topic('order.placed').publishMessage({ json: { type: 'order.placed', data: { orderId: marker }, metadata: {} } });
    const poisonLines = () => logLines('payment-authorize').filter((l) => l.messageId === messageId);
    await eventually(async () => poisonLines(), (lines) => lines.length > 0);
    const token = await admin();
    const letters = await eventually(
      async () => ((await api('/v1/admin/dead-letters?function=payment-authorize&limit=100', { token })).body as { items: { id: string; cause: string; message: { data: { data?: { orderId?: string } } } }[] }).items,
      (items) => items.some((d) => d.message.data?.data?.orderId === marker),
    );
    const letter = letters.find((d) => d.message.data?.data?.orderId === marker)!;
    expect(letter).toMatchObject({ cause: 'poison', status: 'open', topic: 'order.placed', lastError: expect.stringMatching(/metadata/) });
    await new Promise((r) => setTimeout(r, 2000));
    expect(poisonLines()).toHaveLength(1);
    const replay = await api(`/v1/admin/dead-letters/${letter.id}/replay`, { token, method: 'POST' });
    expect(replay).toMatchObject({ status: 409, body: { type: 'https://saga-commerce.dev/problems/conflict' } });
    const discard = await api(`/v1/admin/dead-letters/${letter.id}/discard`, { token, json: { reason: 'garbage published by a test' } });
    expect(discard).toMatchObject({ status: 200, body: { status: 'discarded', resolution: { reason: 'garbage published by a test' } } });
  });

  it('when an order.placed names no order of ours, then it is dead-lettered at once and nobody is charged', async () => {
    const orderId = randomUUID();
    const stray = eventOf('order.placed', { orderId, customerId: 'nobody', total: { amount: 999_00, currency: 'EUR' }, lines: [{ productId: 'p-00001', quantity: 1, unitPrice: { amount: 999_00, currency: 'EUR' } }], payment: { method: 'pm_card_visa' }, contact: { email: 'x@example.com' } }, orderId);
    await pubsub.topic('order.placed').publishMessage({ json: stray, attributes: { type: 'order.placed', eventId: stray.metadata.eventId, correlationId: orderId } });
    const [letter] = await eventually(() => deadLettersOf(orderId), (items) => items.length > 0);
    expect(letter).toMatchObject({ function: 'payment-authorize', cause: 'unknown_order', eventType: 'order.placed' });
    expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 0 });
  });

  it('when admins are not asking, then the dead letters are not theirs to see', async () => {
    const customer = await tokenFor(unique('mallory'));
    expect((await api('/v1/admin/dead-letters', { token: customer })).status).toBe(403);
    expect((await api('/v1/admin/dead-letters')).status).toBe(401);
    expect((await api(`/v1/admin/orders/${randomUUID()}/retry`, { token: customer, method: 'POST' })).status).toBe(403);
  });
});

describe('dead-lettering and replay', () => {
  it('when a step keeps failing, then after its last attempt the event is recorded with why, the order needs attention, and a replay finishes it', async () => {
    // order-confirm's subscription points for a while at a copy of order-confirm that hangs past its deadline.
    const hanging = await startExtraFunction('order-confirm', { FAULTS: JSON.stringify({ hang: { 'order-confirm': 1 } }), HANDLER_TIMEOUT_MS: '300' });
    const name = 'order-confirm.payment.captured';
    try {
      await pubsub.subscription(name).delete();
      await pubsub.topic('payment.captured').createSubscription(name, {
        pushConfig: { pushEndpoint: `${hanging.url}/projects/${stack.project}/topics/payment.captured` },
        ackDeadlineSeconds: 10,
        retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
        deadLetterPolicy: { deadLetterTopic: `projects/${stack.project}/topics/dead-letter.order-confirm`, maxDeliveryAttempts: 5 },
      });
      const product = await seedProduct({ available: 3 });
      const token = await tokenFor(unique('vera'));
      const email = `${unique('vera')}@example.com`;
      const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } });

      const [letter] = await eventually(() => deadLettersOf(orderId), (items) => items.length > 0, 45_000);
      expect(letter).toMatchObject({ function: 'order-confirm', topic: 'payment.captured', cause: 'max_attempts', attempts: 5, lastError: expect.stringMatching(/did not finish within 300 ms/) });
      const stuck = await api(`/v1/orders/${orderId}`, { token });
      expect(stuck.body).toMatchObject({ status: 'NEEDS_ATTENTION', attention: { reason: 'dead_letter', sagaStatus: 'PENDING' } });
      expect((await reconcileOrders([orderId])).discrepancies.map((d) => d.kind)).toEqual(['needs-attention']);

      await pubsub.subscription(name).delete();
      await restoreTopology(pubsub);
      const replay = await api(`/v1/admin/dead-letters/${letter!.id}/replay`, { token: await admin(), method: 'POST', headers: { 'Idempotency-Key': randomUUID() } });
      expect(replay).toMatchObject({ status: 202, body: { status: 'replayed', eventType: 'payment.captured' } });
      const order = await finalOrder(orderId, token);
      expect(order).toMatchObject({ status: 'CONFIRMED', attention: null });
      expect(order.history.map((h) => h.status)).toEqual(['PENDING', 'NEEDS_ATTENTION', 'PENDING', 'CONFIRMED']);
      await eventually(() => emailsTo(email), (m) => m.length === 1);
      expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 1, captures: 1 });
      expect((await reconcileOrders([orderId])).discrepancies).toEqual([]);

      // The timeline tells it all: each failed attempt with its error, the dead letter, the replay by whom, the success.
      const timeline = (await eventually(
        async () => (await api(`/v1/orders/${orderId}/timeline`, { token: await admin() })).body as unknown as OrderTimeline,
        (t) => t.entries.some((e) => e.kind === 'delivery' && e.function === 'order-confirm' && e.outcome === 'handled'),
      )).entries;
      const confirms = timeline.filter((e) => e.kind === 'delivery' && e.function === 'order-confirm');
      expect(confirms.map((d) => d.kind === 'delivery' && [d.outcome, d.attempt])).toEqual([...[1, 2, 3, 4, 5].map((n) => ['failed', n]), ['handled', 6]]);
      expect(confirms.slice(0, 5).every((d) => d.kind === 'delivery' && /did not finish within 300 ms/.test(d.error ?? ''))).toBe(true);
      const kinds = timeline.map((e) => (e.kind === 'delivery' ? `${e.kind}:${e.function}:${e.outcome}` : e.kind === 'event' ? `event:${e.type}` : e.kind));
      const at = (entry: string) => kinds.indexOf(entry);
      expect(at('dead_letter')).toBeGreaterThan(kinds.lastIndexOf('delivery:order-confirm:failed'));
      expect(at('operator')).toBeGreaterThan(at('dead_letter'));
      expect(at('delivery:order-confirm:handled')).toBeGreaterThan(at('operator'));
      expect(timeline.find((e) => e.kind === 'operator')).toMatchObject({ action: 'dead-letter.replay', actor: expect.stringMatching(/^ops-/) });
      expect(timeline.find((e) => e.kind === 'dead_letter')).toMatchObject({ function: 'order-confirm', cause: 'max_attempts', status: 'replayed' });

      // One trace holds the failed attempts, the operator's replay and the redelivery that succeeded.
      const trace = await eventually(
        async () => (await api(`/v1/admin/orders/${orderId}/trace`, { token: await admin() })).body as unknown as OrderTrace,
        (t) => t.spans.some((sp) => sp.name === 'order-confirm process payment.captured' && sp.error === null),
      );
      const names = trace.spans.map((sp) => `${sp.name}${sp.error ? ' (failed)' : ''}`);
      expect(names.filter((n) => n === 'order-confirm process payment.captured (failed)')).toHaveLength(5);
      expect(names).toContain('admin-api replay dead letter');
    } finally {
      await pubsub.subscription(name).delete().catch(() => undefined);
      await restoreTopology(pubsub);
      await hanging.stop();
    }
  });

  it('when the provider refuses to void, then the order needs attention with an alert until an admin retries it', async () => {
    const scarce = await seedProduct({ available: 1 });
    const token = await tokenFor(unique('ruth'));
    const email = `${unique('ruth')}@example.com`;
    const orderId = await placeOrder(token, { items: [{ productId: scarce, quantity: 2 }], payment: { method: 'pm_card_refundFailsOnce' }, contact: { email } });
    const parked = await eventually(async () => (await api(`/v1/orders/${orderId}`, { token })).body!, (o) => o.status === 'NEEDS_ATTENTION');
    expect(parked).toMatchObject({ cancellationReason: 'out_of_stock', attention: { reason: 'release_failed', sagaStatus: 'CANCELLED' } });
    expect(logLines('payment-release').some((l) => l.orderId === orderId && l.severity === 'ALERT')).toBe(true);
    await eventually(() => emailsTo(email), (m) => m.length === 1);
    expect((await reconcileOrders([orderId])).discrepancies.map((d) => d.kind).sort()).toEqual(['money-not-returned', 'needs-attention']);

    const retry = await api(`/v1/admin/orders/${orderId}/retry`, { token: await admin(), method: 'POST' });
    expect(retry).toMatchObject({ status: 202, body: { republished: { type: 'order.cancelled' } } });
    const order = await eventually(async () => (await api(`/v1/orders/${orderId}`, { token })).body!, (o) => o.status === 'CANCELLED');
    expect(order).toMatchObject({ attention: null, payment: { status: 'VOIDED' } });
    expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 1, voids: 1, captures: 0 });
    expect(await emailsTo(email)).toHaveLength(1);
    expect((await reconcileOrders([orderId])).discrepancies).toEqual([]);
  });
});
