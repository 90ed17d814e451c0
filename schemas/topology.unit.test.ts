import { describe, expect, it } from 'vitest';
import { eventTypes, orderEventTypes, functionNames, functions, scheduledFunctions, stepFunctions, subscriptions, type FunctionSpec } from './index.ts';

const specs = functionNames.map((name) => [name, functions[name] as FunctionSpec] as const);
const published = new Set(specs.flatMap(([, s]) => s.publishes));
const sagaSubscriptions = subscriptions().filter((s) => s.deadLetterTopic !== null);
const consumed = new Set(sagaSubscriptions.map((s) => s.topic));

describe('the topology table', () => {
  it('when a function consumes topics, then each topic gets one push subscription with that function’s dead-letter topic', () => {
    expect(sagaSubscriptions.map((s) => s.name)).toEqual(
      expect.arrayContaining(['payment-authorize.order.placed', 'payment-capture.inventory.reserved', 'payment-release.order.cancelled', 'inventory-release.order.cancelled']),
    );
    for (const s of sagaSubscriptions) expect(s.deadLetterTopic).toBe(`dead-letter.${s.function}`);
    expect(new Set(subscriptions().map((s) => s.name)).size).toBe(subscriptions().length);
  });

  it('when a step gives a message up, then the dead-letter recorder has a subscription on its dead-letter topic, itself without one', () => {
    const recorder = subscriptions().filter((s) => s.function === 'dead-letter-record');
    expect(recorder.map((s) => s.topic).sort()).toEqual(stepFunctions().map((fn) => `dead-letter.${fn}`).sort());
    for (const s of recorder) expect(s.deadLetterTopic).toBeNull();
  });

  it('when events flow, then every consumed topic has a publisher and every published event is a known type', () => {
    for (const topic of consumed) expect(published, topic).toContain(topic);
    for (const type of published) expect(eventTypes).toContain(type);
  });

  it('when an event belongs to an order, then the audit consumes it; only the catalog’s event is kept by a pull subscription', () => {
    expect(eventTypes.filter((t) => !consumed.has(t))).toEqual(['catalog.product.changed']);
    expect(subscriptions().filter((s) => s.function === 'saga-audit').map((s) => s.topic)).toEqual(orderEventTypes);
  });

  it('when a job runs on a schedule, then it has a cron expression and a local interval', () => {
    expect(scheduledFunctions().map((s) => s.name)).toEqual(['outbox-sweep', 'saga-watchdog', 'saga-reconcile']);
    for (const s of scheduledFunctions()) {
      expect(s.schedule.split(' ')).toHaveLength(5);
      expect(s.localEverySeconds).toBeGreaterThan(0);
    }
  });

  it('when a delivery policy is derived, then dead-lettering stays inside Pub/Sub’s 5–100 attempts and retries back off', () => {
    for (const { delivery } of subscriptions()) {
      expect(delivery.maxDeliveryAttempts).toBeGreaterThanOrEqual(5);
      expect(delivery.maxDeliveryAttempts).toBeLessThanOrEqual(100);
      expect(delivery.retry.minimumBackoffSeconds).toBeLessThanOrEqual(delivery.retry.maximumBackoffSeconds);
    }
  });
});
