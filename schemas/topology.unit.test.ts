import { describe, expect, it } from 'vitest';
import { eventTypes, functionNames, functions, subscriptions, type FunctionSpec } from './index.ts';

const specs = functionNames.map((name) => [name, functions[name] as FunctionSpec] as const);
const published = new Set(specs.flatMap(([, s]) => s.publishes));
const consumed = new Set(subscriptions().map((s) => s.topic));

describe('the topology table', () => {
  it('when a function consumes topics, then each topic gets one push subscription with that function’s dead-letter topic', () => {
    const subs = subscriptions();
    expect(subs.map((s) => s.name)).toEqual(expect.arrayContaining(['payment-charge.order.placed', 'order-cancel.payment.failed', 'order-cancel.payment.refunded']));
    for (const s of subs) expect(s.deadLetterTopic).toBe(`dead-letter.${s.function}`);
    expect(new Set(subs.map((s) => s.name)).size).toBe(subs.length);
  });

  it('when events flow, then every consumed topic has a publisher and every published event is a known type', () => {
    for (const topic of consumed) expect(published, topic).toContain(topic);
    for (const type of published) expect(eventTypes).toContain(type);
  });

  it('when an event has no consumer yet, then it is one that ends a flow (kept by an audit subscription)', () => {
    expect(eventTypes.filter((t) => !consumed.has(t))).toEqual(['notification.sent', 'catalog.product.changed']);
  });

  it('when a delivery policy is derived, then dead-lettering stays inside Pub/Sub’s 5–100 attempts and retries back off', () => {
    for (const { delivery } of subscriptions()) {
      expect(delivery.maxDeliveryAttempts).toBeGreaterThanOrEqual(5);
      expect(delivery.maxDeliveryAttempts).toBeLessThanOrEqual(100);
      expect(delivery.retry.minimumBackoffSeconds).toBeLessThanOrEqual(delivery.retry.maximumBackoffSeconds);
    }
  });
});
