import { describe, expect, it } from 'vitest';
import { createPaymentSimulator } from './payment-simulator.ts';
import { createSmsSink } from './sms-sink.ts';

type Handler = ReturnType<typeof createPaymentSimulator>;
const post = (sim: Handler, path: string, body: unknown, key: string) =>
  sim({ method: 'POST', path, query: new URLSearchParams(), headers: { 'idempotency-key': key }, body });
const list = (sim: Handler, path: string, query = '') => sim({ method: 'GET', path, query: new URLSearchParams(query), headers: {}, body: undefined })[1] as { data: { id: string }[] };
const charge = (source: string) => ({ amount: 1000, currency: 'eur', source, metadata: { orderId: 'o1' } });

describe('payment simulator', () => {
  it('when tok_visa is charged, then the charge succeeds and a replay with the same key returns the same charge', () => {
    const sim = createPaymentSimulator();
    const [status, first] = post(sim, '/v1/charges', charge('tok_visa'), 'k1');
    expect(status).toBe(200);
    expect(first).toMatchObject({ status: 'succeeded', amount: 1000 });
    expect(post(sim, '/v1/charges', charge('tok_visa'), 'k1')[1]).toEqual(first);
    expect(list(sim, '/v1/charges', 'orderId=o1').data).toHaveLength(1);
  });

  it('when a decline token is charged, then the answer is a 402 card error with its decline code', () => {
    const sim = createPaymentSimulator();
    expect(post(sim, '/v1/charges', charge('tok_chargeDeclined'), 'k')).toEqual([402, { error: expect.objectContaining({ type: 'card_error', decline_code: 'generic_decline' }) }]);
    expect(post(sim, '/v1/charges', charge('tok_chargeDeclinedInsufficientFunds'), 'k2')[1]).toMatchObject({ error: { decline_code: 'insufficient_funds' } });
    expect(post(sim, '/v1/charges', charge('tok_unknown'), 'k3')[0]).toBe(400);
  });

  it('when tok_transientFailure is charged, then the first try is a 503 and the retry with the same key charges once', () => {
    const sim = createPaymentSimulator();
    expect(post(sim, '/v1/charges', charge('tok_transientFailure'), 'k')[0]).toBe(503);
    expect(post(sim, '/v1/charges', charge('tok_transientFailure'), 'k')).toEqual([200, expect.objectContaining({ attempts: 2 })]);
    expect(post(sim, '/v1/charges', charge('tok_transientFailure'), 'k')[0]).toBe(200);
    expect(list(sim, '/v1/charges').data).toHaveLength(1);
  });

  it('when a charge is refunded, then a second refund under another key is refused', () => {
    const sim = createPaymentSimulator();
    const { id } = post(sim, '/v1/charges', charge('tok_visa'), 'c')[1] as { id: string };
    expect(post(sim, '/v1/refunds', { charge: id }, 'r1')).toEqual([200, expect.objectContaining({ charge: id, amount: 1000 })]);
    expect(post(sim, '/v1/refunds', { charge: id }, 'r2')[0]).toBe(400);
    expect(post(sim, '/v1/refunds', { charge: 'ch_missing' }, 'r3')[0]).toBe(404);
    expect(list(sim, '/v1/refunds', `charge=${id}`).data).toHaveLength(1);
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
