import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, database, eventually, finalOrder, paymentsOf, seedProduct, stockOf, tokenFor, unique } from '../support/saga.ts';

const orderBody = (productId: string, quantity = 1) => ({ items: [{ productId, quantity }], payment: { method: 'pm_card_visa' }, contact: { email: `${unique('idem')}@example.com` } });

describe('Idempotency-Key', () => {
  it('when a client retries POST /v1/orders with the same key and body, then the first answer is replayed and there is one order, paid once', async () => {
    const product = await seedProduct({ available: 5 });
    const customer = unique('ida');
    const token = await tokenFor(customer);
    const key = randomUUID();
    const body = orderBody(product);
    const first = await api('/v1/orders', { token, json: body, headers: { 'Idempotency-Key': key } });
    const again = await api('/v1/orders', { token, json: body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, body: first.body });
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await database()('orders').where({ customer_id: customer }).count({ n: '*' })).toEqual([{ n: 1 }]);
    await finalOrder(first.body!.id as string, token);
    expect(await paymentsOf(first.body!.id as string)).toMatchObject({ authorizations: 1, captures: 1 });
    expect(await stockOf(product)).toBe(4);
  });

  it('when the same key comes with another body, then it is 422 and nothing is placed', async () => {
    const product = await seedProduct({ available: 5 });
    const customer = unique('idb');
    const token = await tokenFor(customer);
    const key = randomUUID();
    await api('/v1/orders', { token, json: orderBody(product, 1), headers: { 'Idempotency-Key': key } });
    const other = await api('/v1/orders', { token, json: orderBody(product, 2), headers: { 'Idempotency-Key': key } });
    expect(other).toMatchObject({ status: 422, body: { type: 'https://saga-commerce.dev/problems/idempotency-key-reused' } });
    expect(await database()('orders').where({ customer_id: customer }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('when the same key arrives many times at once, then one order is placed and every other answer is its replay or 409 in progress', async () => {
    const product = await seedProduct({ available: 5 });
    const customer = unique('idc');
    const token = await tokenFor(customer);
    const key = randomUUID();
    const body = orderBody(product);
    const answers = await Promise.all(Array.from({ length: 8 }, () => api('/v1/orders', { token, json: body, headers: { 'Idempotency-Key': key } })));
    const placed = answers.filter((a) => a.status === 202);
    const busy = answers.filter((a) => a.status === 409);
    expect(placed.length + busy.length).toBe(8);
    expect(new Set(placed.map((a) => a.body!.id)).size).toBe(1);
    for (const b of busy) {
      expect(b.body).toMatchObject({ type: 'https://saga-commerce.dev/problems/idempotency-key-in-use' });
      expect(b.headers.get('retry-after')).toBe('1');
    }
    expect(await database()('orders').where({ customer_id: customer }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('when two customers use the same key, then each gets an order of their own; without a key every request is new', async () => {
    const product = await seedProduct({ available: 10 });
    const key = randomUUID();
    const [a, b] = [await tokenFor(unique('ide')), await tokenFor(unique('idf'))];
    const first = await api('/v1/orders', { token: a, json: orderBody(product), headers: { 'Idempotency-Key': key } });
    const second = await api('/v1/orders', { token: b, json: orderBody(product), headers: { 'Idempotency-Key': key } });
    expect(first.body!.id).not.toBe(second.body!.id);
    const customer = unique('idg');
    const c = await tokenFor(customer);
    const body = orderBody(product);
    await api('/v1/orders', { token: c, json: body });
    await api('/v1/orders', { token: c, json: body });
    expect(await database()('orders').where({ customer_id: customer }).count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('when the key is malformed, then it is 400 naming the header', async () => {
    const token = await tokenFor(unique('idh'));
    const res = await api('/v1/orders', { token, json: orderBody('p-00001'), headers: { 'Idempotency-Key': 'has spaces in it' } });
    expect(res).toMatchObject({ status: 400, body: { errors: [{ path: 'header.Idempotency-Key' }] } });
  });

  it('when an admin retries a stock adjustment with its key, then the stock moves once', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('boss'), { role: 'admin' });
    const key = randomUUID();
    const adjust = () => api(`/v1/products/${product}/stock-adjustments`, { token, json: { delta: 3, reason: 'delivery' }, headers: { 'Idempotency-Key': key } });
    const [first, again] = [await adjust(), await adjust()];
    expect(first).toMatchObject({ status: 200, body: { available: 8 } });
    expect(again).toMatchObject({ status: 200, body: { available: 8 } });
    expect(await stockOf(product)).toBe(8);
    const lamp = { name: 'Idempotent lamp', category: 'lighting', brand: 'Lumen', price: { amount: 4200, currency: 'EUR' }, stock: 2 };
    const createKey = randomUUID();
    const created = await api('/v1/products', { token, json: lamp, headers: { 'Idempotency-Key': createKey } });
    const createdAgain = await api('/v1/products', { token, json: lamp, headers: { 'Idempotency-Key': createKey } });
    expect(created.status).toBe(201);
    expect(createdAgain).toMatchObject({ status: 201, body: { id: created.body!.id } });
    await eventually(() => stockOf(created.body!.id as string), (n) => n === 2);
  });
});
