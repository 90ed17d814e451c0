import { describe, expect, it } from 'vitest';
import type { StepDelivery } from '../lib/step-ledger.ts';
import { buildTimeline, type OrderFacts } from './timeline.ts';

const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s));
const ids = { placed: '00000000-0000-4000-8000-000000000001', failed: '00000000-0000-4000-8000-000000000002', cancelled: '00000000-0000-4000-8000-000000000003' };

const delivery = (fn: string, eventId: string, at: number, outcome: StepDelivery['outcome'], error: string | null = null): StepDelivery => ({
  fn, eventId, orderId: 'o', attempt: null, outcome, error, published: [], startedAt: t(at), ms: 40, traceId: null, spanId: null,
});

const facts: OrderFacts = {
  history: [
    { status: 'PENDING', reason: null, at: t(0) },
    { status: 'CANCELLED', reason: 'payment_declined', at: t(4) },
  ],
  events: [
    { eventId: ids.placed, type: 'order.placed', causationId: null, producer: 'orders-api', occurredAt: t(0) },
    { eventId: ids.failed, type: 'payment.failed', causationId: ids.placed, producer: 'payment-authorize', occurredAt: t(3) },
    { eventId: ids.cancelled, type: 'order.cancelled', causationId: ids.failed, producer: 'order-cancel', occurredAt: t(4) },
  ],
  deliveries: [
    delivery('payment-authorize', ids.placed, 2, 'handled'),
    delivery('payment-authorize', ids.placed, 1, 'failed', 'provider timed out'),
    delivery('order-cancel', ids.failed, 3.5, 'handled'),
    delivery('payment-release', ids.cancelled, 5, 'handled'),
  ],
  deadLetters: [],
  operatorActions: [{ action: 'order.retry', actor: 'ops-1', reason: null, at: t(6) }],
  notifications: [{ channel: 'email', template: 'order_cancelled', status: 'sent', at: t(7) }],
};

describe('buildTimeline', () => {
  it('when an admin reads it, then every fact is in time order, attempts are counted per step and event, and compensations are marked', () => {
    const entries = buildTimeline(facts, 'full');
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
    const authorize = entries.filter((e) => e.kind === 'delivery' && e.function === 'payment-authorize');
    expect(authorize).toMatchObject([
      { outcome: 'failed', attempt: 1, error: 'provider timed out', eventType: 'order.placed', waitedMs: 1000, compensation: false },
      { outcome: 'handled', attempt: 2, waitedMs: 2000 },
    ]);
    expect(entries.find((e) => e.kind === 'event' && e.type === 'payment.failed')).toMatchObject({ afterCauseMs: 3000, producer: 'payment-authorize', compensation: false });
    expect(entries.find((e) => e.kind === 'event' && e.type === 'order.cancelled')).toMatchObject({ compensation: true });
    expect(entries.find((e) => e.kind === 'delivery' && e.function === 'payment-release')).toMatchObject({ compensation: true, waitedMs: 1000 });
    expect(entries.map((e) => e.kind)).toContain('operator');
  });

  it('when the customer reads it, then only status changes, events without their producers, and messages are there', () => {
    const entries = buildTimeline(facts, 'customer');
    expect(new Set(entries.map((e) => e.kind))).toEqual(new Set(['status', 'event', 'notification']));
    expect(entries.filter((e) => e.kind === 'event').every((e) => e.kind === 'event' && e.producer === null)).toBe(true);
  });

  it('when two facts happen at the same moment, then the status change comes before the event and the event before its delivery', () => {
    const same: OrderFacts = { ...facts, history: [{ status: 'PENDING', reason: null, at: t(0) }], deliveries: [delivery('payment-authorize', ids.placed, 0, 'handled')], events: facts.events.slice(0, 1) };
    expect(buildTimeline(same, 'full').map((e) => e.kind).slice(0, 3)).toEqual(['status', 'event', 'delivery']);
  });
});
