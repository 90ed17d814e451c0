import { describe, expect, it } from 'vitest';
import { createEvent } from './events.ts';

const orderId = '3f0d2b6a-1c4e-4a7b-9f3d-2e5c6b7a8d90';
const data = { orderId, template: 'order_confirmed' as const, channel: 'email' as const, providerMessageId: 'x' };

describe('createEvent', () => {
  it('when the same step runs again later, then the event keeps its id', () => {
    const first = createEvent('notification.sent', data, { correlationId: orderId, cause: null, now: new Date(1), key: 'a' });
    const again = createEvent('notification.sent', data, { correlationId: orderId, cause: null, now: new Date(99_999), key: 'a' });
    expect(again.metadata.eventId).toBe(first.metadata.eventId);
    expect(again.metadata.occurredAt).not.toBe(first.metadata.occurredAt);
  });

  it('when the key or the order differs, then the id differs; the cause becomes the causation id', () => {
    const a = createEvent('notification.sent', data, { correlationId: orderId, cause: null, now: new Date(), key: 'a' });
    const b = createEvent('notification.sent', data, { correlationId: orderId, cause: a, now: new Date(), key: 'b' });
    expect(b.metadata.eventId).not.toBe(a.metadata.eventId);
    expect(a.metadata.causationId).toBeNull();
    expect(b.metadata.causationId).toBe(a.metadata.eventId);
    expect(b.metadata.correlationId).toBe(orderId);
  });
});
