import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { faultControl } from '../../scripts/stack/fault-proxy.ts';
import { readPidFile } from '../../scripts/stack/process.ts';
import { startExtraFunction } from '../support/functions.ts';
import {
  api, database, emailsTo, eventually, finalOrder, paymentsOf, placeOrder, reconcileOrders, seedProduct, stack, stockOf, tokenFor, unique,
} from '../support/saga.ts';

const faults = faultControl(stack.faults);
const simulatorFaults = (body: { failureRate?: number; latencyMs?: number; hang?: boolean }) =>
  fetch(`${stack.payment}/_simulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

afterEach(async () => {
  await faults.passAll();
  await simulatorFaults({ failureRate: 0, latencyMs: 0, hang: false });
});

/** Every order finished as it should, its customer told once, and the books balance. */
async function allSettled(token: string, orders: { id: string; email: string }[], status = 'CONFIRMED') {
  for (const o of orders) {
    expect((await finalOrder(o.id, token)).status).toBe(status);
    await eventually(() => emailsTo(o.email), (m) => m.length > 0, 30_000);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const o of orders) expect(await emailsTo(o.email)).toHaveLength(1);
  const report = await eventually(() => reconcileOrders(orders.map((o) => o.id)), (r) => r.discrepancies.length === 0, 15_000);
  expect(report.discrepancies).toEqual([]);
}

describe('faults injected into the running stack', () => {
  it('when orders-api dies between committing an order and publishing it, then the outbox sweeper publishes it and the saga completes', async () => {
    const crashing = await startExtraFunction('orders-api', { FAULTS: JSON.stringify({ crashAfterCommit: { 'orders-api': 1 } }) });
    try {
      const product = await seedProduct({ available: 5 });
      const customer = unique('kai');
      const token = await tokenFor(customer);
      const email = `${unique('kai')}@example.com`;
      const body = { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email } };
      // The process exits after the commit: the client sees the connection drop (or the framework's crash page).
      const answer = await fetch(`${crashing.url}/v1/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).catch(() => null);
      expect(answer === null || answer.status === 500).toBe(true);
      const [row] = await database()('orders').where({ customer_id: customer });
      expect(row).toMatchObject({ status: 'PENDING' });
      await allSettled(token, [{ id: row.id, email }]);
      expect(await database()('outbox').where({ event_id: (await database()('order_status_history').where({ order_id: row.id, status: 'PENDING' }).first()).event_id }).first()).toMatchObject({ published_at: expect.any(Date) });
    } finally {
      await crashing.stop();
    }
  });

  it('when Pub/Sub is unreachable while orders are placed, then every order is accepted (202) and every accepted order completes', async () => {
    const product = await seedProduct({ available: 10 });
    const token = await tokenFor(unique('pia'));
    await faults.set('pubsub', 'refuse');
    const orders = [];
    for (let i = 0; i < 3; i++) {
      const email = `${unique('pia')}@example.com`;
      const started = Date.now();
      orders.push({ id: await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } }), email });
      expect(Date.now() - started).toBeLessThan(8000);
    }
    for (const o of orders) expect((await api(`/v1/orders/${o.id}`, { token })).body).toMatchObject({ status: 'PENDING' });
    await faults.set('pubsub', 'pass');
    await allSettled(token, orders);
    expect(await stockOf(product)).toBe(7);
  });

  it('when PostgreSQL is unreachable for 30 s, then clients get 503 with Retry-After quickly, and no accepted order is lost', async () => {
    const product = await seedProduct({ available: 10 });
    const token = await tokenFor(unique('olga'));
    const accepted = [{ id: '', email: `${unique('olga')}@example.com` }];
    accepted[0]!.id = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email: accepted[0]!.email } });
    await faults.set('postgres', 'refuse');
    const outageEnds = Date.now() + 30_000;
    const started = Date.now();
    const refused = await api('/v1/orders', { token, json: { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'late@example.com' } } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(refused).toMatchObject({ status: 503, body: { type: 'https://saga-commerce.dev/problems/service-unavailable' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api(`/v1/orders/${accepted[0]!.id}`, { token })).status).toBe(503);
    await new Promise((r) => setTimeout(r, Math.max(0, outageEnds - Date.now())));
    await faults.set('postgres', 'pass');
    await allSettled(token, accepted);
  }, 120_000);

  it('when Firestore hangs, then requests that need it answer 503 with Retry-After within seconds, not for the whole outage', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('flo'));
    await faults.set('firestore', 'hang');
    for (const [path, json] of [['/v1/orders', { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'f@example.com' } }], [`/v1/products?q=test`, undefined]] as const) {
      const started = Date.now();
      const res = await api(path, { token, ...(json ? { json } : {}) });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(res).toMatchObject({ status: 503, body: { type: 'https://saga-commerce.dev/problems/service-unavailable' } });
      expect(res.headers.get('retry-after')).toBeTruthy();
    }
    await faults.set('firestore', 'pass');
    await eventually(() => api(`/v1/products/${product}`), (r) => r.status === 200, 20_000);
  }, 60_000);

  it('when a function process is killed mid-saga, then it is restarted and every order completes, paid once', async () => {
    const product = await seedProduct({ available: 10 });
    const token = await tokenFor(unique('kim'));
    const before = readPidFile(stack.pidDir, 'payment-capture')!;
    const orders = [];
    for (let i = 0; i < 4; i++) {
      const email = `${unique('kim')}@example.com`;
      orders.push({ id: await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } }), email });
    }
    process.kill(before, 'SIGKILL');
    await eventually(async () => readPidFile(stack.pidDir, 'payment-capture'), (pid) => pid !== null && pid !== before, 20_000);
    await allSettled(token, orders);
    for (const o of orders) expect(await paymentsOf(o.id)).toMatchObject({ authorizations: 1, captures: 1 });
  }, 120_000);

  it('when the deadline passes while the provider hangs, then the order is cancelled (timeout), nothing stays held, and the customer is told once', async () => {
    const shortDeadline = await startExtraFunction('orders-api', { ORDER_DEADLINE_SECONDS: '6' });
    try {
      const product = await seedProduct({ available: 5 });
      const token = await tokenFor(unique('tom'));
      const email = `${unique('tom')}@example.com`;
      await simulatorFaults({ hang: true });
      const res = await fetch(`${shortDeadline.url}/v1/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email } }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const cancelled = await eventually(async () => (await api(`/v1/orders/${id}`, { token })).body!, (o) => o.status === 'CANCELLED', 45_000);
      expect(cancelled).toMatchObject({ cancellationReason: 'timeout' });
      await simulatorFaults({ hang: false });
      await allSettled(token, [{ id, email }], 'CANCELLED');
      const money = await paymentsOf(id);
      expect(money.captures).toBe(0);
      expect(money.authorizations).toBe(money.voids);
      expect(await stockOf(product)).toBe(5);
    } finally {
      await shortDeadline.stop();
    }
  }, 120_000);

  it('when SMTP hangs, then refuses, then comes back, then every order gets exactly one email, none lost', async () => {
    const product = await seedProduct({ available: 10 });
    const token = await tokenFor(unique('sam'));
    await faults.set('smtp', 'hang');
    const orders = [];
    for (let i = 0; i < 3; i++) {
      const email = `${unique('sam')}@example.com`;
      orders.push({ id: await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email } }), email });
    }
    for (const o of orders) expect((await finalOrder(o.id, token)).status).toBe('CONFIRMED');
    await new Promise((r) => setTimeout(r, 8000));
    await faults.set('smtp', 'refuse');
    await new Promise((r) => setTimeout(r, 5000));
    for (const o of orders) expect(await emailsTo(o.email)).toEqual([]);
    await faults.set('smtp', 'pass');
    await allSettled(token, orders);
  }, 150_000);

  it('when 50 buyers order the last unit at once, then exactly one order is CONFIRMED and 49 are CANCELLED with nothing captured', async () => {
    const product = await seedProduct({ available: 1 });
    const buyers = await Promise.all(Array.from({ length: 50 }, async (_, i) => ({ token: await tokenFor(unique(`buyer${i}`)), email: `${unique('buyer')}@example.com` })));
    const answers = await Promise.all(
      buyers.map((b) => api('/v1/orders', { token: b.token, json: { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: b.email } }, headers: { 'Idempotency-Key': randomUUID() } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    const finals = await Promise.all(answers.map((a, i) => finalOrder(a.body!.id as string, buyers[i]!.token)));
    expect(finals.filter((o) => o.status === 'CONFIRMED')).toHaveLength(1);
    const cancelled = finals.filter((o) => o.status === 'CANCELLED');
    expect(cancelled).toHaveLength(49);
    expect(new Set(cancelled.map((o) => o.cancellationReason))).toEqual(new Set(['out_of_stock']));
    expect(await stockOf(product)).toBe(0);
    // Cancellation comes first; the voids follow it: wait until the books of all 50 balance, then count.
    const report = await eventually(() => reconcileOrders(finals.map((o) => o.id)), (r) => r.discrepancies.length === 0, 30_000);
    expect(report.discrepancies).toEqual([]);
    const money = await Promise.all(finals.map((o) => paymentsOf(o.id)));
    expect(money.reduce((n, m) => n + m.captures, 0)).toBe(1);
    expect(money.reduce((n, m) => n + m.refunds, 0)).toBe(0);
    for (const [i, o] of finals.entries()) if (o.status === 'CANCELLED') expect(money[i]).toMatchObject({ captures: 0, voids: 1 });
  }, 150_000);
});
