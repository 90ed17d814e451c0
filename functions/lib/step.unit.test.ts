import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../schemas/index.ts';
import { placedEvent } from '../../test/support/events.ts';
import { createEvent } from './events.ts';
import { createLogger } from './logger.ts';
import { decodeMessage, pubsubStep, type StepHandler } from './step.ts';

const placed = placedEvent();
const orderId = placed.data.orderId;
const ce = (payload: unknown) => ({ id: 'm1', data: { message: { data: Buffer.from(JSON.stringify(payload)).toString('base64'), messageId: 'm1' } } });
const silent = createLogger({ level: 'silent' });

function harness(handler: StepHandler<'order.placed'>, timeoutMs = 1000) {
  const published: Envelope[] = [];
  let calls = 0;
  const run = pubsubStep(
    'payment-charge',
    () => async (event, ctx) => {
      calls++;
      return handler(event, ctx);
    },
    { publish: async (e) => void published.push(e), log: silent, timeoutMs },
  );
  return { run: (payload: unknown) => run(ce(payload) as never), published, calls: () => calls };
}

describe('decodeMessage', () => {
  it('when the message carries a valid envelope of a consumed type, then it is decoded', () => {
    expect(decodeMessage(ce(placed), ['order.placed'])).toMatchObject({ ok: true, messageId: 'm1', envelope: { type: 'order.placed' } });
  });

  it('when data is missing, not JSON or not the schema, then it is an error saying why', () => {
    expect(decodeMessage({ id: 'm2', data: {} }, ['order.placed'])).toMatchObject({ ok: false, error: 'no base64 message data' });
    expect(decodeMessage({ id: 'm3', data: { message: { data: Buffer.from('{oops').toString('base64') } } }, ['order.placed'])).toMatchObject({ ok: false, error: 'message data is not JSON' });
    expect(decodeMessage(ce({ ...placed, type: 'payment.failed' }), ['order.placed'])).toMatchObject({ ok: false });
  });
});

describe('pubsubStep', () => {
  it('when a valid event arrives, then the handler runs and what it returns is published', async () => {
    const h = harness(async (event, { now }) => [createEvent('payment.failed', { orderId, paymentId: orderId, reason: 'payment_declined', declineCode: 'x' }, { correlationId: orderId, cause: event, now })]);
    await h.run(placed);
    expect(h.published.map((e) => [e.type, e.metadata.causationId])).toEqual([['payment.failed', placed.metadata.eventId]]);
  });

  it('when a message is poison, then it resolves (acknowledged) without running the handler', async () => {
    const h = harness(async () => []);
    await expect(h.run({ type: 'order.placed', data: {} })).resolves.toBeUndefined();
    expect(h.calls()).toBe(0);
  });

  it('when the handler throws, then the function rejects so Pub/Sub redelivers, and nothing is published', async () => {
    const h = harness(async () => {
      throw new Error('provider down');
    });
    await expect(h.run(placed)).rejects.toThrow('provider down');
    expect(h.published).toEqual([]);
  });

  it('when the handler outlives its deadline, then the function rejects', async () => {
    const h = harness(() => new Promise((resolve) => setTimeout(() => resolve([]), 200)), 20);
    await expect(h.run(placed)).rejects.toThrow(/within 20 ms/);
  });

  it('when a clock is injected, then the handler’s now is the clock’s time', async () => {
    const at = new Date('2030-05-06T07:08:09Z');
    const seen: Date[] = [];
    const run = pubsubStep('payment-charge', () => async (_event, { now }) => {
      seen.push(now);
      return [];
    }, { publish: async () => undefined, log: silent, timeoutMs: 1000, clock: () => at });
    await run(ce(placed) as never);
    expect(seen).toEqual([at]);
  });
});
