import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPaymentSimulator, parseForm, type PaymentSimulator } from './payment-simulator.ts';
import { createSmsSink } from './sms-sink.ts';

const auth = { authorization: 'Bearer sk_test_unit' };
const post = (sim: PaymentSimulator, path: string, params: Record<string, string>, key: string | null = randomUUID(), headers: Record<string, string> = auth) =>
  sim.handle({ method: 'POST', path, headers: { ...headers, ...(key === null ? {} : { 'idempotency-key': key }) }, body: new URLSearchParams(params).toString() });
const get = (sim: PaymentSimulator, path: string) => sim.handle({ method: 'GET', path, headers: auth, body: '' });
const intentParams = (paymentMethod: string, orderId = 'o-1') => ({
  amount: '1000',
  currency: 'eur',
  payment_method: paymentMethod,
  confirm: 'true',
  capture_method: 'manual',
  'metadata[orderId]': orderId,
  'allowed_payment_method_types[0]': 'card',
});
const authorize = async (sim: PaymentSimulator, paymentMethod = 'pm_card_visa', key?: string) => {
  const answer = await post(sim, '/v1/payment_intents', intentParams(paymentMethod), key);
  return answer.body as { id: string; status: string };
};
const intentIds = async (sim: PaymentSimulator, query = '') => ((await get(sim, `/v1/payment_intents${query}`)).body as { data: { id: string }[] }).data.map((i) => i.id);

describe('payment simulator', () => {
  it('when form fields are nested or listed, then they decode as Stripe reads them', () => {
    expect(parseForm('metadata[orderId]=o%201&allowed_payment_method_types[0]=card&expand[]=a&expand[]=b&created[gte]=5')).toEqual({
      metadata: { orderId: 'o 1' },
      allowed_payment_method_types: { 0: 'card' },
      expand: { 0: 'a', 1: 'b' },
      created: { gte: '5' },
    });
  });

  it.each(['pm_card_visa', 'pm_card_mastercard'])('when %s is confirmed with manual capture, then the intent requires capture for the whole amount', async (paymentMethod) => {
    const sim = createPaymentSimulator({ now: () => new Date('2030-01-01T00:00:00Z') });
    const answer = await post(sim, '/v1/payment_intents', intentParams(paymentMethod));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      object: 'payment_intent',
      id: expect.stringMatching(/^pi_/),
      status: 'requires_capture',
      amount: 1000,
      amount_capturable: 1000,
      amount_received: 0,
      currency: 'eur',
      capture_method: 'manual',
      payment_method: paymentMethod,
      allowed_payment_method_types: ['card'],
      metadata: { orderId: 'o-1' },
      created: 1_893_456_000,
      canceled_at: null,
      cancellation_reason: null,
      last_payment_error: null,
      livemode: false,
    });
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
  ])('when %s is confirmed, then the answer is a 402 card error and the intent needs a new payment method', async (paymentMethod, code, declineCode) => {
    const sim = createPaymentSimulator();
    const answer = await post(sim, '/v1/payment_intents', intentParams(paymentMethod));
    expect(answer.status).toBe(402);
    const { error } = answer.body as { error: { payment_intent: { id: string } } };
    expect(error).toMatchObject({ type: 'card_error', code, decline_code: declineCode, payment_intent: { status: 'requires_payment_method', last_payment_error: { code } } });
    expect((await get(sim, `/v1/payment_intents/${error.payment_intent.id}`)).body).toMatchObject({ status: 'requires_payment_method' });
  });

  it('when an unknown payment method is confirmed, then the answer is 400 resource_missing and no intent is created', async () => {
    const sim = createPaymentSimulator();
    const answer = await post(sim, '/v1/payment_intents', intentParams('pm_card_nope'));
    expect(answer).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method' } } });
    expect(await intentIds(sim)).toEqual([]);
  });

  it('when parameters are unknown, missing or the currency is upper case, then the answer is a 400 naming the parameter', async () => {
    const sim = createPaymentSimulator();
    const rejected = async (params: Record<string, string>) => ((await post(sim, '/v1/payment_intents', params)).body as { error: { code?: string; param: string } }).error;
    expect(await rejected({ ...intentParams('pm_card_visa'), payment_method_types: 'card' })).toMatchObject({ code: 'parameter_unknown', param: 'payment_method_types' });
    expect(await rejected({ currency: 'eur' })).toMatchObject({ code: 'parameter_missing', param: 'amount' });
    expect(await rejected({ ...intentParams('pm_card_visa'), currency: 'EUR' })).toMatchObject({ param: 'currency' });
  });

  it('when the API key is missing or not a test key, then the answer is a 401 and nothing happens', async () => {
    const sim = createPaymentSimulator();
    expect((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'k', {})).status).toBe(401);
    expect((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'k', { authorization: 'Bearer sk_live_123456789' })).body).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('Invalid API Key') },
    });
    const basic = `Basic ${Buffer.from('sk_test_curl:').toString('base64')}`;
    expect((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'k', { authorization: basic })).status).toBe(200);
  });

  it('when a request is repeated with its idempotency key and parameters, then the first answer is replayed and one intent exists', async () => {
    const sim = createPaymentSimulator();
    const first = await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'same');
    const replay = await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'same');
    expect(replay.body).toEqual(first.body);
    expect(replay.headers).toMatchObject({ 'idempotent-replayed': 'true', 'idempotency-key': 'same' });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await intentIds(sim)).toHaveLength(1);
  });

  it('when a replayed answer was a decline, then the replay is the same decline', async () => {
    const sim = createPaymentSimulator();
    const first = await post(sim, '/v1/payment_intents', intentParams('pm_card_chargeDeclined'), 'declined');
    expect(await post(sim, '/v1/payment_intents', intentParams('pm_card_chargeDeclined'), 'declined')).toMatchObject({ status: 402, body: first.body });
  });

  it('when an idempotency key comes back with other parameters, then the answer is a 400 idempotency_error', async () => {
    const sim = createPaymentSimulator();
    await post(sim, '/v1/payment_intents', intentParams('pm_card_visa', 'o-1'), 'reused');
    const answer = await post(sim, '/v1/payment_intents', intentParams('pm_card_visa', 'o-2'), 'reused');
    expect(answer).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error', message: expect.stringContaining("other than 'reused'") } } });
  });

  it('when pm_card_transientFailure is used, then the first request of each key is a 503 that is not remembered and its retry acts once', async () => {
    const sim = createPaymentSimulator();
    expect((await post(sim, '/v1/payment_intents', intentParams('pm_card_transientFailure'), 'flaky')).status).toBe(503);
    expect(await intentIds(sim)).toEqual([]);
    const retry = await post(sim, '/v1/payment_intents', intentParams('pm_card_transientFailure'), 'flaky');
    expect(retry.body).toMatchObject({ status: 'requires_capture' });
    const { id } = retry.body as { id: string };
    expect((await post(sim, `/v1/payment_intents/${id}/capture`, {}, 'capture')).status).toBe(503);
    expect((await post(sim, `/v1/payment_intents/${id}/capture`, {}, 'capture')).body).toMatchObject({ status: 'succeeded', amount_received: 1000 });
    expect(await intentIds(sim)).toEqual([id]);
  });

  it('when a request arrives while another with its idempotency key is in flight, then it gets a 409 and the first one completes', async () => {
    const sim = createPaymentSimulator({ faults: { hang: true } });
    const first = post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'busy');
    expect(await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'busy')).toMatchObject({
      status: 409,
      body: { error: { type: 'idempotency_error', code: 'idempotency_key_in_use' } },
    });
    sim.setFaults({ hang: false });
    expect((await first).status).toBe(200);
  });

  it('when an authorization is captured, then it succeeds once and a second capture is refused as an unexpected state', async () => {
    const sim = createPaymentSimulator();
    const { id } = await authorize(sim);
    expect((await post(sim, `/v1/payment_intents/${id}/capture`, { amount_to_capture: '1001' })).body).toMatchObject({ error: { code: 'amount_too_large' } });
    expect((await post(sim, `/v1/payment_intents/${id}/capture`, { amount_to_capture: '1000' })).body).toMatchObject({ status: 'succeeded', amount_received: 1000, amount_capturable: 0 });
    expect(await post(sim, `/v1/payment_intents/${id}/capture`, {})).toMatchObject({
      status: 400,
      body: { error: { code: 'payment_intent_unexpected_state', message: expect.stringContaining('status of succeeded'), payment_intent: { id, status: 'succeeded' } } },
    });
  });

  it('when pm_card_captureFails is captured, then the capture is refused for good and the intent is canceled', async () => {
    const sim = createPaymentSimulator();
    const { id } = await authorize(sim, 'pm_card_captureFails');
    expect(await post(sim, `/v1/payment_intents/${id}/capture`, {})).toMatchObject({ status: 400, body: { error: { code: 'charge_expired_for_capture' } } });
    expect((await get(sim, `/v1/payment_intents/${id}`)).body).toMatchObject({ status: 'canceled', amount_capturable: 0, cancellation_reason: 'automatic' });
    expect((await post(sim, `/v1/payment_intents/${id}/capture`, {})).body).toMatchObject({ error: { code: 'payment_intent_unexpected_state' } });
  });

  it('when an authorization is canceled, then it is canceled once and neither a second cancel nor a cancel after capture is allowed', async () => {
    const sim = createPaymentSimulator();
    const { id } = await authorize(sim);
    expect((await post(sim, `/v1/payment_intents/${id}/cancel`, {})).body).toMatchObject({ status: 'canceled', amount_capturable: 0, canceled_at: expect.any(Number) });
    expect((await post(sim, `/v1/payment_intents/${id}/cancel`, {})).body).toMatchObject({ error: { code: 'payment_intent_unexpected_state', payment_intent: { status: 'canceled' } } });
    const captured = await authorize(sim);
    await post(sim, `/v1/payment_intents/${captured.id}/capture`, {});
    expect((await post(sim, `/v1/payment_intents/${captured.id}/cancel`, {})).body).toMatchObject({ error: { code: 'payment_intent_unexpected_state', payment_intent: { status: 'succeeded' } } });
    expect((await post(sim, '/v1/payment_intents/pi_missing/cancel', {})).status).toBe(404);
  });

  it('when a capture is refunded, then partial refunds add up, a refund too large is refused and a fully refunded charge is refused', async () => {
    const sim = createPaymentSimulator();
    const { id } = await authorize(sim);
    expect((await post(sim, '/v1/refunds', { payment_intent: id })).body).toMatchObject({ error: { code: 'charge_not_refundable' } });
    await post(sim, `/v1/payment_intents/${id}/capture`, {});
    expect((await post(sim, '/v1/refunds', { payment_intent: id, amount: '400' })).body).toMatchObject({ object: 'refund', id: expect.stringMatching(/^re_/), amount: 400, currency: 'eur', payment_intent: id, status: 'succeeded' });
    expect((await post(sim, '/v1/refunds', { payment_intent: id, amount: '601' })).body).toMatchObject({ error: { code: 'amount_too_large' } });
    expect((await post(sim, '/v1/refunds', { payment_intent: id })).body).toMatchObject({ amount: 600 });
    expect(await post(sim, '/v1/refunds', { payment_intent: id })).toMatchObject({ status: 400, body: { error: { code: 'charge_already_refunded' } } });
    expect(((await get(sim, `/v1/refunds?payment_intent=${id}`)).body as { data: { amount: number }[] }).data.map((r) => r.amount)).toEqual([600, 400]);
  });

  it('when pm_card_refundFailsOnce is voided or refunded, then the first try is refused, replayed under its key, and a new key succeeds', async () => {
    const sim = createPaymentSimulator();
    const voided = await authorize(sim, 'pm_card_refundFailsOnce');
    expect((await post(sim, `/v1/payment_intents/${voided.id}/cancel`, {}, 'void-1')).body).toMatchObject({ error: { code: 'processing_error' } });
    expect((await post(sim, `/v1/payment_intents/${voided.id}/cancel`, {}, 'void-1')).body).toMatchObject({ error: { code: 'processing_error' } });
    expect((await post(sim, `/v1/payment_intents/${voided.id}/cancel`, {}, 'void-2')).body).toMatchObject({ status: 'canceled' });

    const refunded = await authorize(sim, 'pm_card_refundFailsOnce');
    await post(sim, `/v1/payment_intents/${refunded.id}/capture`, {});
    expect((await post(sim, '/v1/refunds', { payment_intent: refunded.id }, 'refund-1')).body).toMatchObject({ error: { code: 'balance_insufficient' } });
    expect((await post(sim, '/v1/refunds', { payment_intent: refunded.id }, 'refund-2')).body).toMatchObject({ object: 'refund', amount: 1000 });
  });

  it('when intents are listed, then they come newest first in pages, from created[gte], and search finds them by order', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const sim = createPaymentSimulator({ now: () => now });
    const ids: string[] = [];
    for (const orderId of ['o-1', 'o-2', 'o-3']) {
      ids.push(((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa', orderId))).body as { id: string }).id);
      now = new Date(now.getTime() + 60_000);
    }
    const firstPage = (await get(sim, '/v1/payment_intents?limit=2')).body as { data: { id: string }[]; has_more: boolean };
    expect(firstPage).toMatchObject({ object: 'list', has_more: true, url: '/v1/payment_intents' });
    expect(firstPage.data.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect(await intentIds(sim, `?limit=2&starting_after=${ids[1]}`)).toEqual([ids[0]]);
    expect(await intentIds(sim, `?created[gte]=${1_893_456_000 + 60}`)).toEqual([ids[2], ids[1]]);
    const found = await get(sim, `/v1/payment_intents/search?query=${encodeURIComponent("metadata['orderId']:'o-2'")}`);
    expect(found.body).toMatchObject({ object: 'search_result', data: [{ id: ids[1] }], has_more: false });
  });

  it('when failureRate is 1, then every POST answers 503 without acting while reads still answer', async () => {
    const sim = createPaymentSimulator({ faults: { failureRate: 1 } });
    expect(await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'k')).toMatchObject({ status: 503, body: { error: { type: 'api_error' } } });
    expect(await intentIds(sim)).toEqual([]);
    sim.setFaults({ failureRate: 0 });
    expect((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), 'k')).status).toBe(200);
  });

  it('when failureRate is a share, then that share of POSTs fail', async () => {
    const draws = [0.1, 0.9];
    const sim = createPaymentSimulator({ faults: { failureRate: 0.5 }, random: () => draws.shift() ?? 1 });
    const statuses = [];
    for (const key of ['a', 'b']) statuses.push((await post(sim, '/v1/payment_intents', intentParams('pm_card_visa'), key)).status);
    expect(statuses).toEqual([503, 200]);
  });

  it('when latency is set, then answers wait that long', async () => {
    const sim = createPaymentSimulator({ faults: { latencyMs: 40 } });
    const started = performance.now();
    await get(sim, '/v1/payment_intents');
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('when hang is on, then requests wait unanswered until it is turned off through the control endpoint', async () => {
    const sim = createPaymentSimulator();
    const control = (body: unknown) => sim.handle({ method: 'POST', path: '/_simulator/faults', headers: {}, body: JSON.stringify(body) });
    expect((await control({ hang: true })).body).toEqual({ failureRate: 0, latencyMs: 0, hang: true, declineRate: 0 });
    let answered = false;
    const pending = authorize(sim).then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    await control({ hang: false });
    await pending;
    expect(answered).toBe(true);
    expect((await control({ failureRate: 2 })).status).toBe(400);
    expect((await control({ unknown: true })).status).toBe(400);
    expect((await sim.handle({ method: 'GET', path: '/_simulator/faults', headers: {}, body: '' })).body).toEqual({ failureRate: 0, latencyMs: 0, hang: false, declineRate: 0 });
  });

  it('when declineRate is set, then that share of new authorizations is declined as a card would be, and none without it', async () => {
    let roll = 0;
    const sim = createPaymentSimulator({ random: () => roll });
    await sim.handle({ method: 'POST', path: '/_simulator/faults', headers: {}, body: JSON.stringify({ declineRate: 0.5 }) });
    roll = 0.2;
    expect(await authorize(sim)).toMatchObject({ error: { code: 'card_declined', decline_code: 'generic_decline' } });
    roll = 0.7;
    expect(await authorize(sim)).toMatchObject({ status: 'requires_capture' });
  });
});

describe('SMS sink', () => {
  it('when messages are sent, then they are listed by number and a repeated idempotency key records one', () => {
    const sink = createSmsSink();
    const send = (to: string, key: string) => sink({ method: 'POST', path: '/v1/messages', query: new URLSearchParams(), headers: { 'idempotency-key': key }, body: { to, body: 'hi' } });
    const [, first] = send('+1', 'a');
    expect(send('+1', 'a')[1]).toEqual(first);
    send('+2', 'b');
    expect((sink({ method: 'GET', path: '/v1/messages', query: new URLSearchParams({ to: '+1' }), headers: {}, body: undefined })[1] as { data: unknown[] }).data).toHaveLength(1);
    expect(sink({ method: 'POST', path: '/v1/messages', query: new URLSearchParams(), headers: {}, body: {} })[0]).toBe(400);
  });
});
