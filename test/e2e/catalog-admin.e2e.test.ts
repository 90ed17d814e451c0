import { PubSub, type Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, placeOrder, stack, tokenFor, unique } from '../support/saga.ts';

const pubsub = new PubSub({ projectId: stack.project });
const changes: Message[] = [];
let admin: string;
let shopper: string;
let close: () => Promise<void>;

beforeAll(async () => {
  admin = await tokenFor(unique('ops'), { role: 'admin' });
  shopper = await tokenFor(unique('shopper'));
  const [sub] = await pubsub.topic('catalog.product.changed').createSubscription(unique('capture.catalog'));
  sub.on('message', (m: Message) => {
    changes.push(m);
    m.ack();
  });
  close = async () => {
    await sub.close();
    await sub.delete();
    await pubsub.close();
  };
});
afterAll(() => close());

const changesOf = (productId: string) =>
  changes.map((m) => JSON.parse(m.data.toString()) as { data: { productId: string; change: string } }).filter((e) => e.data.productId === productId).map((e) => e.data.change);

async function create(name: string, extra: Record<string, unknown> = {}) {
  const res = await api('/v1/products', {
    token: admin,
    json: { name, description: 'made by the admin test', category: 'lighting', brand: 'Lumen', price: { amount: 4500, currency: 'EUR' }, attributes: { colour: ['sand'] }, stock: 5, ...extra },
  });
  expect(res.status).toBe(201);
  return { id: res.body!.id as string, etag: res.headers.get('etag')!, location: res.headers.get('location') };
}

describe('catalog administration', () => {
  it('when someone without the admin role writes, then it is 401 or 403 and nothing changes', async () => {
    const body = { name: 'x', category: 'lighting', brand: 'b', price: { amount: 1, currency: 'EUR' } };
    expect((await api('/v1/products', { json: body })).status).toBe(401);
    expect((await api('/v1/products', { token: shopper, json: body })).body).toMatchObject({ status: 403, type: expect.stringMatching(/forbidden$/) });
  });

  it('when an admin creates and edits a product, then ETags guard the edits and search follows within a second', async () => {
    const marker = unique('lamp').replace('-', '');
    const { id, etag, location } = await create(`Nordlicht ${marker}`);
    expect(location).toBe(`/v1/products/${id}`);
    const read = await api(location!);
    expect(read.body).toMatchObject({ id, name: `Nordlicht ${marker}`, categories: ['home', 'lighting'], available: 5 });
    expect(read.headers.get('etag')).toBe(etag);
    expect((await api(location!, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    await eventually(async () => (await api(`/v1/products?q=${marker}`)).body!.total, (n) => n === 1, 1500);

    expect((await api(location!, { method: 'PATCH', token: admin, json: { price: { amount: 3900, currency: 'EUR' } } })).status).toBe(428);
    const updated = await api(location!, { method: 'PATCH', token: admin, json: { name: `Sonnenlicht ${marker}`, price: { amount: 3900, currency: 'EUR' } }, headers: { 'If-Match': etag } });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).not.toBe(etag);
    const stale = await api(location!, { method: 'PATCH', token: admin, json: { name: 'lost update' }, headers: { 'If-Match': etag } });
    expect(stale.body).toMatchObject({ status: 412, type: expect.stringMatching(/precondition-failed$/) });
    await eventually(async () => (await api(`/v1/products?q=sonnenlicht%20${marker}`)).body!.total, (n) => n === 1, 1500);

    const orderId = await placeOrder(shopper, { items: [{ productId: id, quantity: 2 }] });
    expect((await api(`/v1/orders/${orderId}`, { token: shopper })).body).toMatchObject({ total: { amount: 7800, currency: 'EUR' } });
  });

  it('when a product is archived, then shoppers cannot find, read or order it until it is restored', async () => {
    const marker = unique('arch').replace('-', '');
    const { id } = await create(`Laterne ${marker}`);
    await eventually(async () => (await api(`/v1/products?q=${marker}`)).body!.total, (n) => n === 1, 1500);
    expect((await api(`/v1/products/${id}/archive`, { token: admin, json: {} })).status).toBe(200);
    expect((await api(`/v1/products/${id}/archive`, { token: admin, json: {} })).status).toBe(409);
    expect((await api(`/v1/products/${id}`)).status).toBe(404);
    expect((await api(`/v1/products/${id}`, { token: admin })).body).toMatchObject({ status: 'archived' });
    await eventually(async () => (await api(`/v1/products?q=${marker}`)).body!.total, (n) => n === 0, 1500);
    const order = await api('/v1/orders', { token: shopper, json: { items: [{ productId: id, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'a@example.com' } } });
    expect(order.body).toMatchObject({ status: 422, type: expect.stringMatching(/unknown-product$/) });
    expect((await api(`/v1/products/${id}/restore`, { token: admin, json: {} })).status).toBe(200);
    await eventually(async () => (await api(`/v1/products?q=${marker}`)).body!.total, (n) => n === 1, 1500);
    await eventually(async () => changesOf(id), (c) => c.length === 3);
    expect(changesOf(id)).toEqual(['created', 'archived', 'restored']);
  });

  it('when admins adjust stock at the same time, then every adjustment counts and stock never goes below zero', async () => {
    const { id } = await create(`Kerze ${unique('k')}`);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => api(`/v1/products/${id}/stock-adjustments`, { token: admin, json: { delta: 1, reason: `delivery ${i}` } })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect((await api(`/v1/products/${id}`)).body).toMatchObject({ available: 13 });
    const tooMuch = await api(`/v1/products/${id}/stock-adjustments`, { token: admin, json: { delta: -14, reason: 'shrinkage' } });
    expect(tooMuch.body).toMatchObject({ status: 409, type: expect.stringMatching(/insufficient-stock$/) });
    expect((await api(`/v1/products/${id}`)).body).toMatchObject({ available: 13 });
  });

  it('when a cached product changes, by an admin or by an order, then reads show the change within a second', async () => {
    const { id, location } = await create(`Cachelampe ${unique('c')}`);
    const first = await api(location!);
    expect((await api(location!)).headers.get('etag')).toBe(first.headers.get('etag'));
    const patched = await api(location!, { method: 'PATCH', token: admin, json: { price: { amount: 4100, currency: 'EUR' } }, headers: { 'If-Match': first.headers.get('etag')! } });
    expect(patched.status).toBe(200);
    expect((await api(location!)).body).toMatchObject({ price: { amount: 4100 }, available: 5 });
    const orderId = await placeOrder(shopper, { items: [{ productId: id, quantity: 2 }] });
    await eventually(async () => (await api(`/v1/orders/${orderId}`, { token: shopper })).body!.status, (s) => s === 'CONFIRMED');
    const started = Date.now();
    await eventually(async () => (await api(location!)).body!.available, (n) => n === 3, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('when a product body is invalid, then the fields are named', async () => {
    const res = await api('/v1/products', { token: admin, json: { name: '', category: 'home', brand: 'b', price: { amount: 0, currency: 'eur' }, stock: -1 } });
    expect(res.status).toBe(400);
    expect((res.body!.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(
      ['body.category', 'body.name', 'body.price.amount', 'body.price.currency', 'body.stock'].sort(),
    );
  });
});
