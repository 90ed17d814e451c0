import { describe, expect, it } from 'vitest';
import { api, placeOrder, seedProduct, tokenFor, unique, finalOrder } from '../support/saga.ts';

const problemOf = (res: Awaited<ReturnType<typeof api>>) => ({
  status: res.status,
  type: res.headers.get('content-type')?.split(';')[0],
  problem: (res.body?.type as string | undefined)?.replace('https://saga-commerce.dev/problems/', ''),
});

describe('the HTTP API', () => {
  it('when requests are bad, then the answer is 4xx problem+json naming the problem, never 5xx', async () => {
    const token = await tokenFor(unique('eve'));
    const product = await seedProduct({ available: 3 });
    const valid = { items: [{ productId: product, quantity: 1 }], payment: { token: 'tok_visa' }, contact: { email: 'eve@example.com' } };
    const cases: [string, Awaited<ReturnType<typeof api>>, number, string][] = [
      ['unknown product', await api('/v1/orders', { token, json: { ...valid, items: [{ productId: 'no-such-product', quantity: 1 }] } }), 422, 'unknown-product'],
      ['quantity 0', await api('/v1/orders', { token, json: { ...valid, items: [{ productId: product, quantity: 0 }] } }), 400, 'validation-error'],
      ['huge quantity', await api('/v1/orders', { token, json: { ...valid, items: [{ productId: product, quantity: 1e9 }] } }), 400, 'validation-error'],
      ['malformed JSON', await api('/v1/orders', { token, body: '{"items": [' }), 400, 'malformed-request'],
      ['missing token', await api('/v1/orders', { json: valid }), 401, 'unauthenticated'],
      ['garbage token', await api('/v1/orders', { token: 'not.a.jwt', json: valid }), 401, 'unauthenticated'],
      ['not JSON', await api('/v1/orders', { token, body: 'x', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported-media-type'],
      ['unknown field', await api('/v1/orders', { token, json: { ...valid, price: 1 } }), 400, 'validation-error'],
      ['bad page size', await api('/v1/orders?limit=500', { token }), 400, 'validation-error'],
      ['tampered cursor', await api('/v1/orders?cursor=abc', { token }), 400, 'validation-error'],
      ['unknown route', await api('/v1/nothing', { token }), 404, 'not-found'],
      ['broken escape in id', await api('/v1/orders/%E0%A4%A', { token }), 400, 'malformed-request'],
      ['malformed order id', await api('/v1/orders/not-a-uuid', { token }), 404, 'not-found'],
      ['wrong method', await api('/v1/products', { method: 'DELETE' }), 405, 'method-not-allowed'],
    ];
    for (const [name, res, status, type] of cases) {
      expect({ name, ...problemOf(res) }).toEqual({ name, status, type: 'application/problem+json', problem: type });
    }
    const validation = cases[1]![1].body as { errors: { path: string }[] };
    expect(validation.errors[0]!.path).toBe('body.items.0.quantity');
  });

  it('when another customer asks for an order, then it is 404, while an admin may read it', async () => {
    const product = await seedProduct({ available: 3 });
    const owner = await tokenFor(unique('frank'));
    const id = await placeOrder(owner, { items: [{ productId: product, quantity: 1 }] });

    expect((await api(`/v1/orders/${id}`, { token: await tokenFor(unique('mallory')) })).status).toBe(404);
    expect((await api(`/v1/orders/${id}`, { token: owner })).status).toBe(200);
    expect((await api(`/v1/orders/${id}`, { token: await tokenFor(unique('ops'), { role: 'admin' }) })).status).toBe(200);
    expect((await api(`/v1/orders/${id}`)).status).toBe(401);
    await finalOrder(id, owner);
  });

  it('when a customer lists orders, then they see only their own, newest first, page by page', async () => {
    const product = await seedProduct({ available: 50 });
    const me = await tokenFor(unique('grace'));
    const other = await tokenFor(unique('heidi'));
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await placeOrder(me, { items: [{ productId: product, quantity: 1 }] }));
    await placeOrder(other, { items: [{ productId: product, quantity: 1 }] });

    const first = await api('/v1/orders?limit=2', { token: me });
    const second = await api(`/v1/orders?limit=2&cursor=${first.body!.nextCursor as string}`, { token: me });

    const ids = [...(first.body!.items as { id: string }[]), ...(second.body!.items as { id: string }[])].map((o) => o.id);
    expect(ids).toEqual(mine.reverse());
    expect(second.body!.nextCursor).toBeNull();
  });

  it('when anyone browses a category, then its sub-categories’ products come with price and stock, by name, paged', async () => {
    const page = await api('/v1/products?category=shoes&limit=5');
    expect(page.status).toBe(200);
    const items = page.body!.items as { name: string; category: string; categories: string[]; price: { currency: string }; available: number }[];
    expect(items).toHaveLength(5);
    expect(items.every((p) => p.categories.includes('shoes') && p.category !== 'shoes' && p.price.currency === 'EUR' && p.available >= 0)).toBe(true);
    expect(items.map((p) => p.name)).toEqual(items.map((p) => p.name).sort());
    const leaf = (await api('/v1/products?category=boots&limit=100')).body!.items as { category: string }[];
    expect(leaf.length).toBeGreaterThan(0);
    expect(leaf.every((p) => p.category === 'boots')).toBe(true);
    const next = await api(`/v1/products?category=shoes&limit=5&cursor=${page.body!.nextCursor as string}`);
    expect((next.body!.items as { id: string }[]).map((p) => p.id)).not.toContain((items[0] as unknown as { id: string }).id);
    const one = await api('/v1/products/p-00001');
    expect(one.body).toMatchObject({ id: 'p-00001', price: { currency: 'EUR' } });
    expect((await api('/v1/products/nope')).status).toBe(404);
  });
});
