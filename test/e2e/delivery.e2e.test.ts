import { randomUUID } from 'node:crypto';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes } from '../../schemas/index.ts';
import {
  chargesFor, database, emailsTo, eventually, finalOrder, logLines, placeOrder, seedProduct, smsTo, stack, stockOf, tokenFor, unique,
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
  ).catch((err) => { throw err; });
  await new Promise((r) => setTimeout(r, quietMs));
  if (ofOrder(orderId).length !== seen) await quiescent(orderId, quietMs);
}

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
      ['inventory.reserved', 'notification.sent', 'notification.sent', 'order.confirmed', 'order.placed', 'payment.charged'],
    );

    // Deliver each event a second time: the same application event, as a new Pub/Sub message.
    for (const m of originals) await pubsub.topic(m.attributes.type!).publishMessage({ data: m.data, attributes: m.attributes });
    await quiescent(orderId);

    const eventIdsByType = (messages: Message[]) =>
      Object.fromEntries(eventTypes.map((t) => [t, [...new Set(messages.filter((m) => m.attributes.type === t).map((m) => m.attributes.eventId))].sort()]));
    expect(eventIdsByType(ofOrder(orderId))).toEqual(eventIdsByType(originals));
    expect(await chargesFor(orderId)).toHaveLength(1);
    expect(await stockOf(product)).toBe(7);
    expect(await emailsTo(email)).toHaveLength(1);
    expect(await smsTo(phone)).toHaveLength(1);
    const db = database();
    expect(await db('payments').where({ order_id: orderId }).count({ n: '*' })).toEqual([{ n: 1 }]);
    expect((await db('order_status_history').where({ order_id: orderId })).map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await db('notifications').where({ order_id: orderId }).count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('when a schema-invalid message arrives, then it is logged once and acknowledged, with no retry storm', async () => {
    const marker = unique('poison');
    const messageId = await pubsub.topic('order.placed').publishMessage({
      json: { type: 'order.placed', data: { orderId: marker }, metadata: {} },
    });
    const poisonLines = () => logLines('payment-charge').filter((l) => l.messageId === messageId);
    await eventually(async () => poisonLines(), (lines) => lines.length > 0);
    await new Promise((r) => setTimeout(r, 3000));
    const lines = poisonLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ severity: 'ERROR', poison: true });
    expect(String(lines[0]!.reason)).toMatch(/orderId/);
  });
});

describe('dead-lettering', () => {
  it('when a step keeps failing, then after the last attempt the message is kept on the dead-letter topic, not lost', async () => {
    const topic = 'inventory.reserved';
    const deadLetter = unique('dead-letter.test');
    const [dlq] = await pubsub.createTopic(deadLetter);
    const [kept] = await dlq.createSubscription(deadLetter);
    const received: Message[] = [];
    kept.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    // A second push subscription to the same order-confirm function, with few attempts and no backoff.
    const [metadata] = await pubsub.subscription('order-confirm.inventory.reserved').getMetadata();
    const [sub] = await pubsub.topic(topic).createSubscription(unique('order-confirm.dlq-test'), {
      pushConfig: { pushEndpoint: metadata.pushConfig!.pushEndpoint! },
      ackDeadlineSeconds: 10,
      retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
      deadLetterPolicy: { deadLetterTopic: `projects/${stack.project}/topics/${deadLetter}`, maxDeliveryAttempts: 5 },
    });
    try {
      // A valid event for an order that does not exist: order-confirm fails (transiently, as far as it knows) every time.
      const orderId = randomUUID();
      const event = eventOf('inventory.reserved', { orderId, lines: [{ productId: 'p-00001', quantity: 1 }] }, orderId);
      await pubsub.topic(topic).publishMessage({ json: event, attributes: { type: topic, eventId: event.metadata.eventId, correlationId: orderId } });

      await eventually(async () => received.length, (n) => n > 0, 45_000);
      const [dead] = received;
      expect((JSON.parse(dead!.data.toString()) as typeof event).metadata.eventId).toBe(event.metadata.eventId);
      expect(dead!.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
      const failures = logLines('order-confirm').filter((l) => l.orderId === orderId && l.severity === 'WARNING');
      expect(failures.length).toBeGreaterThanOrEqual(5);
    } finally {
      await kept.close();
      await Promise.all([sub.delete(), kept.delete()]);
      await dlq.delete();
    }
  });
});
