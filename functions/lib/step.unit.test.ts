import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../schemas/index.ts';
import { placedEvent } from '../../test/support/events.ts';
import type { ReceivedMessage } from './dead-letters.ts';
import { createEvent } from './events.ts';
import { parseFaults } from './faults.ts';
import { createLogger } from './logger.ts';
import type { StepDelivery, StepLedger } from './step-ledger.ts';
import { decodeMessage, DeadLetterNow, pubsubStep, type StepHandler } from './step.ts';

const placed = placedEvent();
const orderId = placed.data.orderId;
const source = '//pubsub.googleapis.com/projects/p/topics/order.placed';
const ce = (payload: unknown) => ({ id: 'm1', source, data: { message: { data: Buffer.from(JSON.stringify(payload)).toString('base64'), messageId: 'm1', attributes: { type: 'order.placed' } } } });
const silent = createLogger({ level: 'silent' });

function harness(handler: StepHandler<'order.placed'>, options: { timeoutMs?: number; faults?: string } = {}) {
  const published: Envelope[] = [];
  const deadLetters: { message: ReceivedMessage; cause: string; error: string }[] = [];
  const deliveries: StepDelivery[] = [];
  const store: StepLedger = { record: async (d) => void deliveries.push(d), failures: async () => null, ofOrder: async () => [] };
  let calls = 0;
  const run = pubsubStep(
    'payment-authorize',
    () => async (event, ctx) => {
      calls++;
      return handler(event, ctx);
    },
    {
      publish: async (e) => void published.push(e),
      sendToDeadLetters: async (_fn, message, reason) => void deadLetters.push({ message, ...reason }),
      ledger: () => store,
      log: silent,
      timeoutMs: options.timeoutMs ?? 1000,
      faults: () => parseFaults(options.faults),
    },
  );
  return { run: (payload: unknown) => run(ce(payload) as never), published, deadLetters, deliveries, calls: () => calls };
}

describe('decodeMessage', () => {
  it('when the message carries a valid envelope of a consumed type, then it is decoded with its topic', () => {
    expect(decodeMessage(ce(placed), ['order.placed'])).toMatchObject({ ok: true, messageId: 'm1', envelope: { type: 'order.placed' }, message: { topic: 'order.placed' } });
  });

  it('when data is missing, not JSON or not the schema, then it is an error saying why', () => {
    expect(decodeMessage({ id: 'm2', source, data: {} }, ['order.placed'])).toMatchObject({ ok: false, error: 'no base64 message data' });
    expect(decodeMessage({ id: 'm3', source, data: { message: { data: Buffer.from('{oops').toString('base64') } } }, ['order.placed'])).toMatchObject({ ok: false, error: 'message data is not JSON' });
    expect(decodeMessage(ce({ ...placed, type: 'payment.failed' }), ['order.placed'])).toMatchObject({ ok: false });
  });
});

describe('pubsubStep', () => {
  it('when a valid event arrives, then the handler runs and what it returns is published', async () => {
    const h = harness(async (event, { now }) => [createEvent('payment.failed', { orderId, paymentId: orderId, reason: 'payment_declined', declineCode: 'x' }, { correlationId: orderId, cause: event, now })]);
    await h.run(placed);
    expect(h.published.map((e) => [e.type, e.metadata.causationId])).toEqual([['payment.failed', placed.metadata.eventId]]);
    expect(h.deliveries).toEqual([
      expect.objectContaining({ fn: 'payment-authorize', eventId: placed.metadata.eventId, orderId, outcome: 'handled', error: null, published: [h.published[0]!.metadata.eventId] }),
    ]);
  });

  it('when a message is poison, then it goes to the dead-letter topic as it came and is acknowledged, without running the handler', async () => {
    const h = harness(async () => []);
    await expect(h.run({ type: 'order.placed', data: {} })).resolves.toBeUndefined();
    expect(h.calls()).toBe(0);
    expect(h.deadLetters).toEqual([expect.objectContaining({ cause: 'poison', message: expect.objectContaining({ topic: 'order.placed', attributes: { type: 'order.placed' } }) })]);
  });

  it('when the handler says the message can never succeed, then it goes to the dead-letter topic at once and is acknowledged', async () => {
    const h = harness(async () => {
      throw new DeadLetterNow('no such order');
    });
    await expect(h.run(placed)).resolves.toBeUndefined();
    expect(h.deadLetters).toEqual([expect.objectContaining({ cause: 'unknown_order', error: 'no such order' })]);
    expect(h.published).toEqual([]);
    expect(h.deliveries).toEqual([expect.objectContaining({ outcome: 'dead_lettered', error: 'no such order' })]);
  });

  it('when the handler throws, then the function rejects so Pub/Sub redelivers, the failure is remembered, and nothing is published', async () => {
    const h = harness(async () => {
      throw new Error('provider down');
    });
    await expect(h.run(placed)).rejects.toThrow('provider down');
    expect(h.published).toEqual([]);
    expect(h.deliveries).toEqual([expect.objectContaining({ eventId: placed.metadata.eventId, outcome: 'failed', error: 'provider down', orderId })]);
  });

  it('when the handler outlives its deadline, then the function rejects and the handler’s signal aborts', async () => {
    let aborted = false;
    const h = harness(
      (_event, { signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => (aborted = true));
          setTimeout(() => resolve([]), 200);
        }),
      { timeoutMs: 20 },
    );
    await expect(h.run(placed)).rejects.toThrow(/within 20 ms/);
    expect(aborted).toBe(true);
  });

  it('when FAULTS makes the step hang, then the delivery fails at its deadline without running the handler', async () => {
    const h = harness(async () => [], { timeoutMs: 30, faults: JSON.stringify({ hang: { 'payment-authorize': 1 } }) });
    await expect(h.run(placed)).rejects.toThrow(/within 30 ms/);
    expect(h.calls()).toBe(0);
  });

  it('when a clock is injected, then the handler’s now is the clock’s time', async () => {
    const at = new Date('2030-05-06T07:08:09Z');
    const seen: Date[] = [];
    const run = pubsubStep('payment-authorize', () => async (_event, { now }) => {
      seen.push(now);
      return [];
    }, { publish: async () => undefined, log: silent, timeoutMs: 1000, clock: () => at, faults: () => parseFaults(undefined) });
    await run(ce(placed) as never);
    expect(seen).toEqual([at]);
  });
});
