import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaymentSimulator } from '../../../scripts/providers/payment-simulator.ts';
import { DependencyUnavailable } from '../resilience.ts';
import { createStripeProvider } from './stripe-provider.ts';

describe('Stripe payment provider over HTTP', () => {
  let simulator: Awaited<ReturnType<typeof startPaymentSimulator>>;
  beforeAll(async () => {
    simulator = await startPaymentSimulator(0);
  });
  afterAll(() => simulator.close());

  const provider = () =>
    createStripeProvider({ baseUrl: simulator.url, apiKey: 'sk_test_int', timeoutMs: 300, attempts: 2, breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 }, backoffMs: 10 });
  const setFaults = (faults: { hang?: boolean }) =>
    fetch(`${simulator.url}/_simulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(faults) });

  it('when an order is authorized, captured and refunded over HTTP, then each step answers as Stripe would', async () => {
    const stripe = provider();
    const orderId = `o-${randomUUID()}`;
    const amount = { amount: 2500, currency: 'EUR' };
    const authorized = await stripe.authorize({ idempotencyKey: `${orderId}:authorize`, amount, paymentMethod: 'pm_card_visa', orderId });
    if (authorized.status !== 'authorized') throw new Error(`expected an authorization, got ${JSON.stringify(authorized)}`);
    expect(await stripe.capture({ idempotencyKey: `${orderId}:capture`, intentId: authorized.intentId, amount })).toEqual({ status: 'captured' });
    expect(await stripe.refund({ idempotencyKey: `${orderId}:refund`, intentId: authorized.intentId, amount })).toMatchObject({ status: 'refunded' });
    expect(await stripe.retrieve(authorized.intentId)).toMatchObject({ orderId, status: 'succeeded', amountReceived: 2500, amountRefunded: 2500 });
  });

  it('when the provider hangs, then the call ends in DependencyUnavailable, and its retry after the hang has one effect', async () => {
    const stripe = provider();
    const orderId = `o-${randomUUID()}`;
    const request = { idempotencyKey: `${orderId}:authorize`, amount: { amount: 700, currency: 'JPY' }, paymentMethod: 'pm_card_visa', orderId };
    await setFaults({ hang: true });
    try {
      await expect(stripe.authorize(request)).rejects.toThrow(DependencyUnavailable);
    } finally {
      await setFaults({ hang: false });
    }
    const retried = await stripe.authorize(request);
    expect(retried).toMatchObject({ status: 'authorized' });
    const intents: string[] = [];
    for await (const intent of stripe.listIntents()) if (intent.orderId === orderId) intents.push(intent.id);
    expect(intents).toEqual([retried.status === 'authorized' ? retried.intentId : '']);
  });
});
