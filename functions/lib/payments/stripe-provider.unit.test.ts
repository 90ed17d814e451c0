import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createPaymentSimulator, type Faults, type PaymentSimulator, type SimulatorResponse } from '../../../scripts/providers/payment-simulator.ts';
import { DependencyUnavailable } from '../resilience.ts';
import type { PaymentProvider, ProviderIntent } from './provider.ts';
import { createStripeProvider } from './stripe-provider.ts';

class InProcessResponse extends Stripe.HttpClientResponse {
  constructor(private readonly answer: SimulatorResponse) {
    super(answer.status, answer.headers);
  }
  override getRawResponse() {
    return {};
  }
  override toStream(): never {
    throw new Error('the simulator does not stream');
  }
  override toJSON() {
    // A copy, as a wire would give: the SDK must not share objects with the simulator.
    return Promise.resolve(JSON.parse(JSON.stringify(this.answer.body)));
  }
}

/** The SDK's transport, handing each request to the simulator in-process and honouring the SDK's timeout. */
class InProcessHttpClient extends Stripe.HttpClient {
  readonly requests: string[] = [];

  constructor(private readonly simulator: PaymentSimulator) {
    super();
  }

  override getClientName() {
    return 'in-process';
  }

  override async makeRequest(_host: string, _port: string, path: string, method: string, headers: Record<string, unknown>, body: string, _protocol: string, timeout: number) {
    this.requests.push(`${method} ${path}`);
    const lowerCase = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value as string]));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Stripe.HttpClient.makeTimeoutError()), timeout);
    });
    try {
      return new InProcessResponse(await Promise.race([this.simulator.handle({ method, path, headers: lowerCase, body }), timedOut]));
    } finally {
      clearTimeout(timer);
    }
  }
}

function setup(options: { faults?: Partial<Faults>; timeoutMs?: number; consecutiveFailures?: number; apiKey?: string; now?: () => Date } = {}) {
  const simulator = createPaymentSimulator({ faults: options.faults, now: options.now });
  const http = new InProcessHttpClient(simulator);
  const provider = createStripeProvider({
    baseUrl: 'http://127.0.0.1:8090',
    apiKey: options.apiKey ?? 'sk_test_unit',
    timeoutMs: options.timeoutMs ?? 1000,
    attempts: 2,
    breaker: { consecutiveFailures: options.consecutiveFailures ?? 5, halfOpenAfterMs: 10_000 },
    backoffMs: 1,
    httpClient: http,
  });
  return { simulator, http, provider };
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const authorize = (provider: PaymentProvider, paymentMethod = 'pm_card_visa', options: { amount?: { amount: number; currency: string }; orderId?: string; idempotencyKey?: string } = {}) =>
  provider.authorize({ idempotencyKey: options.idempotencyKey ?? randomUUID(), amount: options.amount ?? eur(1000), paymentMethod, orderId: options.orderId ?? 'o-1' });
const authorized = async (provider: PaymentProvider, paymentMethod = 'pm_card_visa') => {
  const result = await authorize(provider, paymentMethod);
  if (result.status !== 'authorized') throw new Error(`expected an authorization, got ${JSON.stringify(result)}`);
  return result.intentId;
};
const captured = async (provider: PaymentProvider, paymentMethod = 'pm_card_visa') => {
  const intentId = await authorized(provider, paymentMethod);
  expect(await provider.capture({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual({ status: 'captured' });
  return intentId;
};
const intentsIn = async (simulator: PaymentSimulator) =>
  ((await simulator.handle({ method: 'GET', path: '/v1/payment_intents?limit=100', headers: { authorization: 'Bearer sk_test_unit' }, body: '' })).body as { data: { id: string; amount: number; currency: string }[] }).data;
const posts = (http: InProcessHttpClient) => http.requests.filter((r) => r.startsWith('POST'));

describe('Stripe payment provider', () => {
  it('when a test card authorizes, then the intent is authorized for the order, in lower-case currency on the wire', async () => {
    const { provider, simulator } = setup();
    const result = await authorize(provider, 'pm_card_visa', { orderId: 'o-42' });
    expect(result).toEqual({ status: 'authorized', intentId: expect.stringMatching(/^pi_/) });
    expect(await intentsIn(simulator)).toEqual([expect.objectContaining({ amount: 1000, currency: 'eur', capture_method: 'manual', metadata: { orderId: 'o-42' } })]);
    const intent = await provider.retrieve(result.status === 'authorized' ? result.intentId : '');
    expect(intent).toEqual<ProviderIntent>({
      id: expect.any(String),
      status: 'requires_capture',
      amount: eur(1000),
      amountReceived: 0,
      amountRefunded: 0,
      orderId: 'o-42',
      created: expect.any(Date),
    });
  });

  it.each([
    { amount: 1500, currency: 'JPY' },
    { amount: 12_340, currency: 'KWD' },
  ])('when $currency is authorized and captured, then its minor units pass through unchanged', async (amount) => {
    const { provider, simulator } = setup();
    const result = await authorize(provider, 'pm_card_visa', { amount });
    const intentId = result.status === 'authorized' ? result.intentId : '';
    expect(await provider.capture({ idempotencyKey: randomUUID(), intentId, amount })).toEqual({ status: 'captured' });
    expect(await intentsIn(simulator)).toEqual([expect.objectContaining({ amount: amount.amount, currency: amount.currency.toLowerCase() })]);
    expect(await provider.retrieve(intentId)).toMatchObject({ status: 'succeeded', amount, amountReceived: amount.amount });
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
  ])('when %s is authorized, then the result is declined with %s and the declined intent', async (paymentMethod, declineCode) => {
    const { provider } = setup();
    expect(await authorize(provider, paymentMethod)).toEqual({ status: 'declined', declineCode, intentId: expect.stringMatching(/^pi_/) });
  });

  it('when the payment method does not exist, then the result is declined as invalid_payment_method without an intent', async () => {
    const { provider } = setup();
    expect(await authorize(provider, 'pm_card_unknown')).toEqual({ status: 'declined', declineCode: 'invalid_payment_method', intentId: null });
  });

  it('when an intent is captured twice under different keys, then both answer captured and it is captured once', async () => {
    const { provider, simulator } = setup();
    const intentId = await captured(provider);
    expect(await provider.capture({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual({ status: 'captured' });
    expect(await intentsIn(simulator)).toEqual([expect.objectContaining({ amount_received: 1000 })]);
  });

  it('when the authorization expired before capture, then the capture is refused for good, also when tried again', async () => {
    const { provider } = setup();
    const intentId = await authorized(provider, 'pm_card_captureFails');
    expect(await provider.capture({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual({ status: 'refused', code: 'charge_expired_for_capture' });
    expect(await provider.capture({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual({ status: 'refused', code: 'payment_intent_unexpected_state' });
  });

  it('when an authorization is voided, then it is voided, voiding again still answers voided, and a captured one answers already_captured', async () => {
    const { provider } = setup();
    const intentId = await authorized(provider);
    expect(await provider.void({ idempotencyKey: randomUUID(), intentId })).toEqual({ status: 'voided' });
    expect(await provider.void({ idempotencyKey: randomUUID(), intentId })).toEqual({ status: 'voided' });
    expect(await provider.void({ idempotencyKey: randomUUID(), intentId: await captured(provider) })).toEqual({ status: 'already_captured' });
  });

  it('when the provider refuses a void or a refund, then the result is refused and a retry under a new key succeeds', async () => {
    const { provider } = setup();
    const voidable = await authorized(provider, 'pm_card_refundFailsOnce');
    expect(await provider.void({ idempotencyKey: 'void-1', intentId: voidable })).toEqual({ status: 'refused', code: 'processing_error' });
    expect(await provider.void({ idempotencyKey: 'void-1', intentId: voidable })).toEqual({ status: 'refused', code: 'processing_error' });
    expect(await provider.void({ idempotencyKey: 'void-2', intentId: voidable })).toEqual({ status: 'voided' });

    const refundable = await captured(provider, 'pm_card_refundFailsOnce');
    expect(await provider.refund({ idempotencyKey: 'refund-1', intentId: refundable, amount: eur(1000) })).toEqual({ status: 'refused', code: 'balance_insufficient' });
    expect(await provider.refund({ idempotencyKey: 'refund-2', intentId: refundable, amount: eur(1000) })).toEqual({ status: 'refunded', refundId: expect.stringMatching(/^re_/) });
  });

  it('when a capture is refunded twice under different keys, then both answer the one refund', async () => {
    const { provider } = setup();
    const intentId = await captured(provider);
    const first = await provider.refund({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) });
    expect(first).toEqual({ status: 'refunded', refundId: expect.stringMatching(/^re_/) });
    expect(await provider.refund({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual(first);
    expect(await provider.retrieve(intentId)).toMatchObject({ status: 'succeeded', amountReceived: 1000, amountRefunded: 1000 });
  });

  it('when an authorization that was never captured is refunded, then the refund is refused', async () => {
    const { provider } = setup();
    const intentId = await authorized(provider);
    expect(await provider.refund({ idempotencyKey: randomUUID(), intentId, amount: eur(1000) })).toEqual({ status: 'refused', code: 'charge_not_refundable' });
  });

  it('when intents are listed from a date, then every page is read and they come oldest first with their refunds', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const { provider, http } = setup({ now: () => now });
    await authorized(provider);
    now = new Date('2030-01-02T00:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 101; i += 1) {
      ids.push(await authorized(provider));
      now = new Date(now.getTime() + 1000);
    }
    const refunded = await captured(provider);
    await provider.refund({ idempotencyKey: randomUUID(), intentId: refunded, amount: eur(1000) });

    const listed: ProviderIntent[] = [];
    for await (const intent of provider.listIntents({ createdFrom: new Date('2030-01-02T00:00:00Z') })) listed.push(intent);
    expect(listed.map((i) => i.id)).toEqual([...ids, refunded]);
    expect(listed.at(-1)).toMatchObject({ status: 'succeeded', amountReceived: 1000, amountRefunded: 1000 });
    expect(http.requests.filter((r) => r.startsWith('GET /v1/payment_intents?'))).toHaveLength(2);
  });

  it('when the first attempt fails with a 503, then the retry under the same key authorizes once', async () => {
    const { provider, simulator, http } = setup();
    expect(await authorize(provider, 'pm_card_transientFailure')).toEqual({ status: 'authorized', intentId: expect.any(String) });
    expect(posts(http)).toHaveLength(2);
    expect(await intentsIn(simulator)).toHaveLength(1);
  });

  it('when the provider keeps failing, then the calls end in DependencyUnavailable and the open circuit fails fast without calling it', async () => {
    const { provider, http } = setup({ faults: { failureRate: 1 }, consecutiveFailures: 4 });
    await expect(authorize(provider)).rejects.toThrow(DependencyUnavailable);
    await expect(authorize(provider)).rejects.toThrow(DependencyUnavailable);
    expect(posts(http)).toHaveLength(4);
    await expect(authorize(provider)).rejects.toThrow(/circuit open/);
    expect(posts(http)).toHaveLength(4);
  });

  it('when the provider answers slower than the attempt timeout, then the call ends in DependencyUnavailable and a later retry has one effect', async () => {
    const { provider, simulator, http } = setup({ faults: { latencyMs: 150 }, timeoutMs: 40 });
    await expect(authorize(provider, 'pm_card_visa', { idempotencyKey: 'slow' })).rejects.toThrow(DependencyUnavailable);
    expect(posts(http)).toHaveLength(2);
    simulator.setFaults({ latencyMs: 0 });
    await sleep(200);
    expect(await authorize(provider, 'pm_card_visa', { idempotencyKey: 'slow' })).toMatchObject({ status: 'authorized' });
    expect(await intentsIn(simulator)).toHaveLength(1);
  });

  it("when the caller's deadline passes during a call, then it ends in DependencyUnavailable at once", async () => {
    const { provider } = setup({ faults: { latencyMs: 500 } });
    const started = performance.now();
    await expect(provider.retrieve('pi_any', { signal: AbortSignal.timeout(30) })).rejects.toThrow(DependencyUnavailable);
    expect(performance.now() - started).toBeLessThan(300);
  });

  it('when the API key is wrong, then a plain error says which setting to fix', async () => {
    const { provider } = setup({ apiKey: 'sk_live_wrong_key' });
    const error = await authorize(provider).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DependencyUnavailable);
    expect((error as Error).message).toMatch(/401.*PAYMENT_PROVIDER_API_KEY/);
  });

  it('when an idempotency key is reused for another request, then a plain error says so', async () => {
    const { provider } = setup();
    await authorize(provider, 'pm_card_visa', { idempotencyKey: 'reused', orderId: 'o-1' });
    await expect(authorize(provider, 'pm_card_visa', { idempotencyKey: 'reused', orderId: 'o-2' })).rejects.toThrow(/idempotency key was reused/);
  });

  it('when the base URL has a path, then creating the provider says what PAYMENT_PROVIDER_URL must look like', () => {
    expect(() => createStripeProvider({ baseUrl: 'https://api.stripe.com/v1', apiKey: 'sk_test_x', timeoutMs: 1000, attempts: 2, breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 } })).toThrow(
      /PAYMENT_PROVIDER_URL must be an http\(s\) origin/,
    );
  });
});
