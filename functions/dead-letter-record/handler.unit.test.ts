import { describe, expect, it } from 'vitest';
import { placedEvent } from '../../test/support/events.ts';
import { describeDeadLetter } from './handler.ts';

const placed = placedEvent();
const data = Buffer.from(JSON.stringify(placed)).toString('base64');
const now = new Date('2026-11-27T12:00:00Z');

describe('describeDeadLetter', () => {
  it('when Pub/Sub dead-letters after the last attempt, then the topic, attempts and event come from the message and the last error from the step', () => {
    const letter = describeDeadLetter(
      'payment-authorize',
      { data, messageId: 'dl-1', publishTime: '2026-11-27T11:59:00Z', attributes: { CloudPubSubDeadLetterSourceSubscription: 'projects/p/subscriptions/payment-authorize.order.placed', CloudPubSubDeadLetterSourceDeliveryCount: '10' } },
      { attempts: 10, lastError: 'payment provider: circuit open', firstFailedAt: new Date('2026-11-27T11:50:00Z'), lastFailedAt: now },
      now,
    );
    expect(letter).toMatchObject({
      function: 'payment-authorize',
      topic: 'order.placed',
      cause: 'max_attempts',
      eventType: 'order.placed',
      eventId: placed.metadata.eventId,
      orderId: placed.data.orderId,
      attempts: 10,
      lastError: 'payment provider: circuit open',
      deadLetteredAt: new Date('2026-11-27T11:59:00Z'),
    });
  });

  it('when a step dead-letters a poison message itself, then its cause and error come from its attributes and nothing else is guessed', () => {
    const letter = describeDeadLetter(
      'order-confirm',
      { data: Buffer.from('{not json').toString('base64'), messageId: 'dl-2', attributes: { sagaDeadLetterCause: 'poison', sagaDeadLetterError: 'message data is not JSON', sagaDeadLetterSourceTopic: 'payment.captured' } },
      null,
      now,
    );
    expect(letter).toMatchObject({ cause: 'poison', lastError: 'message data is not JSON', topic: 'payment.captured', eventType: null, orderId: null, attempts: 1, deadLetteredAt: now });
  });

  it('when the same dead-letter message is delivered again, then it gets the same id', () => {
    const a = describeDeadLetter('order-cancel', { data, messageId: 'dl-3' }, null, now);
    const b = describeDeadLetter('order-cancel', { data, messageId: 'dl-3' }, null, new Date());
    expect(a.id).toBe(b.id);
  });
});
