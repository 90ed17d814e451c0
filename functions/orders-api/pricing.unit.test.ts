import { describe, expect, it } from 'vitest';
import type { Product } from '../lib/catalog.ts';
import { priceOrder } from './pricing.ts';

const product = (id: string, amount: number, currency = 'EUR'): [string, Product] => [
  id,
  { id, name: `Name ${id}`, description: '', category: 'c', categories: ['c'], brand: 'b', price: { amount, currency }, attributes: {}, images: [], createdAt: '', status: 'active' },
];
const catalog = new Map([product('a', 1999), product('b', 500), product('usd', 700, 'USD')]);

describe('priceOrder', () => {
  it('when every product exists in one currency, then lines take catalog prices and the total adds them up', () => {
    expect(priceOrder([{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }], catalog)).toEqual({
      ok: true,
      lines: [
        { productId: 'a', name: 'Name a', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } },
        { productId: 'b', name: 'Name b', quantity: 3, unitPrice: { amount: 500, currency: 'EUR' } },
      ],
      total: { amount: 5498, currency: 'EUR' },
    });
  });

  it('when a product is unknown, then the order is refused naming every unknown product', () => {
    expect(priceOrder([{ productId: 'x', quantity: 1 }, { productId: 'a', quantity: 1 }, { productId: 'y', quantity: 1 }], catalog)).toEqual({
      ok: false,
      problem: 'unknown-product',
      productIds: ['x', 'y'],
    });
  });

  it('when products are priced in different currencies, then the order is refused', () => {
    expect(priceOrder([{ productId: 'a', quantity: 1 }, { productId: 'usd', quantity: 1 }], catalog)).toMatchObject({ ok: false, problem: 'mixed-currencies' });
  });
});
