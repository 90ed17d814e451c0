import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from '../../schemas/index.ts';
import { placedData, storePendingOrder } from '../support/fixtures.ts';
import { startExtraFunction } from '../support/functions.ts';
import { api, database, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

/**
 * An orders-api of its own with small limits, counting in PostgreSQL (no Redis), that takes the client's address
 * from the last X-Forwarded-For entry, as behind one proxy of ours.
 */
let orders: Awaited<ReturnType<typeof startExtraFunction>>;
let second: Awaited<ReturnType<typeof startExtraFunction>>;
let redisInstances: Awaited<ReturnType<typeof startExtraFunction>>[];
const small = { RATE_LIMIT_READ_PER_MINUTE: '4', RATE_LIMIT_ORDER_PER_MINUTE: '3', RATE_LIMIT_IP_FACTOR: '2', CLIENT_IP_FROM_RIGHT: '1', MAX_OPEN_ORDERS_PER_CUSTOMER: '2' };
beforeAll(async () => {
  [orders, second, ...redisInstances] = await Promise.all([
    startExtraFunction('orders-api', { ...small, REDIS_URL: null }),
    startExtraFunction('orders-api', { ...small, REDIS_URL: null }),
    ...(stack.env.REDIS_URL ? [startExtraFunction('orders-api', small), startExtraFunction('orders-api', small)] : []),
  ]);
}, 60_000);
afterAll(async () => Promise.all([orders, second, ...(redisInstances ?? [])].map((f) => f?.stop())));

const ip = () => `203.0.113.${Math.floor(1 + Math.random() * 250)}`;
/** Calls one of this file's functions as a client at `from` (behind one proxy of ours, which appends it). */
const call = (path: string, options: { token: string; from: string; json?: unknown; forwardedFor?: string; via?: string }) =>
  api(path, { base: options.via ?? orders.url, token: options.token, json: options.json, headers: { 'X-Forwarded-For': options.forwardedFor ?? options.from } });
const order = (productId: string, extra: Record<string, unknown> = {}) => ({ items: [{ productId, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'limits@example.com' }, ...extra });

describe('rate limits (IETF RateLimit headers, 429 with Retry-After)', () => {
  it('when a customer reads as often as the quota allows, then that passes; one read more is 429 until the window ends', async () => {
    const token = await tokenFor(unique('reader'));
    const from = ip();
    for (let i = 4; i >= 1; i--) {
      const res = await call('/v1/orders', { token, from });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"read-caller";r=${i - 1};t=\\d+$`));
      expect(res.headers.get('ratelimit-policy')).toBe('"read-caller";q=4;w=60');
    }
    const refused = await call('/v1/orders', { token, from });
    expect(refused).toMatchObject({ status: 429, body: { type: 'https://saga-commerce.dev/problems/rate-limited', detail: expect.stringContaining('read quota of 4') } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('when a customer’s reads are spread over instances, then they count against one quota (in PostgreSQL, and in Redis when it is configured)', async () => {
    const stores = [{ store: 'postgres', instances: [orders, second] }, ...(redisInstances.length ? [{ store: 'redis', instances: redisInstances }] : [])];
    for (const { store, instances } of stores) {
      const token = await tokenFor(unique(`spread-${store}`));
      const from = ip();
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call('/v1/orders', { token, from, via: instances[i % 2]!.url })).status);
      expect({ store, statuses }).toEqual({ store, statuses: [200, 200, 200, 200, 429] });
    }
  });

  it('when many customers read from one address, then the address has its own quota (a multiple of a customer’s), and a forged X-Forwarded-For does not escape it', async () => {
    const from = ip();
    for (let i = 0; i < 4; i++) {
      const token = await tokenFor(unique('office'));
      for (let j = 0; j < 2; j++) expect((await call('/v1/orders', { token, from })).status).toBe(200);
    }
    const newcomer = await tokenFor(unique('office'));
    const refused = await call('/v1/orders', { token: newcomer, from });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"read-ip";q=8;w=60');
    const forged = await call('/v1/orders', { token: newcomer, from, forwardedFor: `198.51.100.1, ${from}` });
    expect(forged.status).toBe(429);
    expect((await call('/v1/orders', { token: newcomer, from: ip() })).status).toBe(200);
  });

  it('when a customer places orders as often as the order quota allows, then that passes (whatever the outcome); one more is 429', async () => {
    const token = await tokenFor(unique('buyer'));
    const from = ip();
    for (let i = 0; i < 3; i++) expect((await call('/v1/orders', { token, from, json: order('no-such-product') })).status).toBe(422);
    expect(await call('/v1/orders', { token, from, json: order('no-such-product') })).toMatchObject({ status: 429, body: { detail: expect.stringContaining('order quota of 3') } });
  });
});

describe('limits on what an order may hold', () => {
  it('when an order has the most lines and the largest quantity allowed, then it is taken; one line or one unit more is refused, naming it', async () => {
    const token = await tokenFor(unique('bulk'));
    const products = await Promise.all(Array.from({ length: MAX_ORDER_LINES + 1 }, () => seedProduct({ available: 1000, price: 100 })));
    const lines = (n: number, quantity = 1) => products.slice(0, n).map((productId) => ({ productId, quantity }));
    const base = { payment: { method: 'pm_card_visa' }, contact: { email: `${unique('bulk')}@example.com` } };
    expect((await api('/v1/orders', { token, json: { ...base, items: lines(MAX_ORDER_LINES) } })).status).toBe(202);
    expect(await api('/v1/orders', { token, json: { ...base, items: lines(MAX_ORDER_LINES + 1) } })).toMatchObject({ status: 400, body: { errors: [{ path: 'body.items' }] } });
    expect((await api('/v1/orders', { token, json: { ...base, items: lines(1, MAX_LINE_QUANTITY) } })).status).toBe(202);
    expect(await api('/v1/orders', { token, json: { ...base, items: lines(1, MAX_LINE_QUANTITY + 1) } })).toMatchObject({ status: 400, body: { errors: [{ path: 'body.items.0.quantity' }] } });
  });

  it('when a page of 100 is asked for, then it is given; 101 is refused, naming the parameter', async () => {
    const token = await tokenFor(unique('pager'));
    for (const path of ['/v1/orders', '/v1/products']) {
      expect((await api(`${path}?limit=100`, { token })).status).toBe(200);
      expect(await api(`${path}?limit=101`, { token })).toMatchObject({ status: 400, body: { errors: [{ path: 'query.limit' }] } });
    }
  });

  it('when a customer has one order fewer open than allowed, then one more is taken; with the most open, the next is 409 too-many-open-orders', async () => {
    const product = await seedProduct({ available: 100 });
    const hold = async (customerId: string) => {
      // An order still being processed: stored with its order.placed marked as sent, so no saga moves it on here.
      const data = placedData({ customerId, lines: [{ productId: product, quantity: 1, unitPrice: { amount: 1000, currency: 'EUR' } }] });
      await storePendingOrder(database(), data);
      await database()('outbox').whereRaw("envelope->'metadata'->>'correlationId' = ?", [data.orderId]).update({ published_at: new Date() });
    };
    const below = unique('patient');
    await hold(below);
    expect((await call('/v1/orders', { token: await tokenFor(below), from: ip(), json: order(product) })).status).toBe(202);
    const full = unique('impatient');
    await hold(full);
    await hold(full);
    expect(await call('/v1/orders', { token: await tokenFor(full), from: ip(), json: order(product) })).toMatchObject({
      status: 409,
      body: { type: 'https://saga-commerce.dev/problems/too-many-open-orders', detail: expect.stringContaining('at most 2') },
    });
  });
});
