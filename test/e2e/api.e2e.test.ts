import { describe, expect, it } from 'vitest';
import { api, eventually, placeOrder, seedProduct, tokenFor, unique, finalOrder } from '../support/saga.ts';

const problemOf = (res: Awaited<ReturnType<typeof api>>) => ({
  status: res.status,
  type: res.headers.get('content-type')?.split(';')[0],
  problem: (res.body?.type as string | undefined)?.replace('https://saga-commerce.dev/problems/', ''),
});

describe('the HTTP API', () => {
  it('when requests are bad, then the answer is 4xx problem+json naming the problem, never 5xx', async () => {
    const token = await tokenFor(unique('eve'));
    const product = await seedProduct({ available: 3 });
    const valid = { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'eve@example.com' } };
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
    const names = items.map((p) => p.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    const leaf = (await api('/v1/products?category=boots&limit=100')).body!.items as { category: string }[];
    expect(leaf.length).toBeGreaterThan(0);
    expect(leaf.every((p) => p.category === 'boots')).toBe(true);
    const next = await api(`/v1/products?category=shoes&limit=5&cursor=${page.body!.nextCursor as string}`);
    expect((next.body!.items as { id: string }[]).map((p) => p.id)).not.toContain((items[0] as unknown as { id: string }).id);
    const one = await api('/v1/products/p-00001');
    expect(one.body).toMatchObject({ id: 'p-00001', price: { currency: 'EUR' } });
    expect((await api('/v1/products/nope')).status).toBe(404);
  });

  it('when a shopper searches, then words narrow the result, filters combine, facets count it and bad parameters are named', async () => {
    const marker = unique('zq').replace('-', '');
    const cheap = await seedProduct({ name: `Kaffee Becher ${marker}`, price: 900, available: 3 });
    const dear = await seedProduct({ name: `Kaffee Mühle ${marker}`, price: 4900, available: 0 });
    const found = await eventually(() => api(`/v1/products?q=${marker.slice(0, -2)}&sort=price_asc`), (r) => (r.body?.total as number) === 2);
    expect((found.body!.items as { id: string }[]).map((p) => p.id)).toEqual([cheap, dear]);
    const narrowed = await api(`/v1/products?q=muhle%20${marker}`);
    expect((narrowed.body!.items as { id: string }[]).map((p) => p.id)).toEqual([dear]);
    const inStock = await api(`/v1/products?q=${marker}&inStock=true&maxPrice=1000`);
    expect((inStock.body!.items as { id: string; available: number }[]).map((p) => [p.id, p.available])).toEqual([[cheap, 3]]);
    expect(found.body!.facets).toMatchObject({ brand: { Testing: 2 }, category: { test: 2 } });

    const shoes = await api('/v1/products?category=shoes&brand=Northwind,Lumen&colour=white,black&sort=price_desc&limit=2');
    const hits = shoes.body!.items as { brand: string; categories: string[]; attributes: { colour: string[] }; price: { amount: number } }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((p) => ['Northwind', 'Lumen'].includes(p.brand) && p.categories.includes('shoes') && ['white', 'black'].includes(p.attributes.colour[0]!))).toBe(true);
    expect(shoes.body!.total).toBe(3);
    expect(hits.map((p) => p.price.amount)).toEqual(hits.map((p) => p.price.amount).sort((a, b) => b - a));

    for (const [query, path] of [
      ['colour=black&shade=dark', 'query'],
      ['minPrice=500&maxPrice=100', 'query.minPrice'],
      ['limit=101', 'query.limit'],
      ['category=nope', 'query.category'],
      ['sort=cheapest', 'query.sort'],
      [`sort=name&cursor=${encodeURIComponent(shoes.body!.nextCursor as string)}`, 'query.cursor'],
    ] as const) {
      const res = await api(`/v1/products?${query}`);
      expect({ query, status: res.status, path: (res.body?.errors as { path: string }[] | undefined)?.[0]?.path }).toEqual({ query, status: 400, path });
    }
  });
});
