import { describe, expect, it } from 'vitest';
import { buildIndex, search, words, type SearchItem, type SearchQuery } from './search.ts';

const item = (id: string, over: Partial<SearchItem>): SearchItem => ({
  id,
  name: 'Thing',
  description: '',
  brand: 'Acme',
  category: 'sneakers',
  categories: ['shoes', 'sneakers'],
  price: { amount: 5000, currency: 'EUR' },
  attributes: {},
  images: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  available: 10,
  ...over,
});

const catalog = buildIndex([
  item('a', { name: 'Urban Sneakers', brand: 'Acme', price: { amount: 7999, currency: 'EUR' }, attributes: { colour: ['black'], size: ['42', '43'] }, createdAt: '2026-01-03T00:00:00.000Z' }),
  item('b', { name: 'Café Racer Boots', brand: 'Émile & Co', category: 'boots', categories: ['shoes', 'boots'], price: { amount: 12999, currency: 'EUR' }, attributes: { colour: ['brown'] }, createdAt: '2026-01-02T00:00:00.000Z' }),
  item('c', { name: 'Trail Runner', description: 'light sneakers for trails', brand: 'Kestrel', price: { amount: 1999, currency: 'EUR' }, available: 0, createdAt: '2026-01-05T00:00:00.000Z' }),
  item('d', { name: 'Coffee Mug', brand: 'Acme', category: 'kitchen', categories: ['home', 'kitchen'], price: { amount: 1200, currency: 'EUR' }, attributes: { colour: ['black'] }, createdAt: '2026-01-04T00:00:00.000Z' }),
]);
const run = (q: Partial<SearchQuery>) => search(catalog, { sort: 'relevance', limit: 20, ...q });
const ids = (q: Partial<SearchQuery>) => run(q).items.map((i) => i.id);

describe('words', () => {
  it('when text has accents, case and punctuation, then it splits into plain lower-case words', () => {
    expect(words('Café Racer — Émile & Co.')).toEqual(['cafe', 'racer', 'emile', 'co']);
  });
});

describe('search', () => {
  it('when a word prefix is searched, then it matches words that start with it, case- and accent-insensitively', () => {
    expect(ids({ q: 'snea' })).toEqual(['a', 'c']);
    expect(ids({ q: 'CAFE' })).toEqual(['b']);
    expect(ids({ q: 'emile' })).toEqual(['b']);
  });

  it('when several words are searched, then every word must match', () => {
    expect(ids({ q: 'acme black' })).toEqual(['a', 'd']);
    expect(ids({ q: 'acme mug' })).toEqual(['d']);
    expect(ids({ q: 'acme nothing' })).toEqual([]);
  });

  it('when sorting by relevance, then a match in the name ranks above one in the description', () => {
    expect(ids({ q: 'sneakers' })).toEqual(['a', 'c']);
  });

  it('when filters are combined, then each narrows the result', () => {
    expect(ids({ category: 'shoes', sort: 'name' })).toEqual(['b', 'c', 'a']);
    expect(ids({ category: 'kitchen' })).toEqual(['d']);
    expect(ids({ brands: ['acme', 'Kestrel'], sort: 'price_asc' })).toEqual(['d', 'c', 'a']);
    expect(ids({ minPrice: 2000, maxPrice: 8000 })).toEqual(['a']);
    expect(ids({ category: 'shoes', inStock: true, sort: 'name' })).toEqual(['b', 'a']);
    expect(ids({ attributes: { colour: ['BLACK'] }, sort: 'name' })).toEqual(['d', 'a']);
    expect(ids({ attributes: { colour: ['black'], size: ['43'] } })).toEqual(['a']);
  });

  it('when sorting, then price, newest and name orders hold', () => {
    expect(ids({ sort: 'price_desc' })).toEqual(['b', 'a', 'c', 'd']);
    expect(ids({ sort: 'newest' })).toEqual(['c', 'd', 'a', 'b']);
    expect(run({}).sort).toBe('name');
  });

  it('when paging, then pages follow the cursor without gaps or repeats, even after an earlier item goes away', () => {
    const first = run({ sort: 'price_asc', limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual(['d', 'c']);
    const second = run({ sort: 'price_asc', limit: 2, after: first.next! });
    expect(second.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(second.next).toBeNull();
    const withoutD = buildIndex(catalog.items().filter((i) => i.id !== 'd'));
    expect(search(withoutD, { sort: 'price_asc', limit: 2, after: first.next! }).items.map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('when facets are counted, then they cover the whole filtered result, not just the page', () => {
    const { facets, total } = run({ category: 'shoes', limit: 1 });
    expect(total).toBe(3);
    expect(facets.category).toEqual({ shoes: 3, sneakers: 2, boots: 1 });
    expect(facets.brand).toEqual({ Acme: 1, 'Émile & Co': 1, Kestrel: 1 });
    expect(facets.price.map((b) => b.count)).toEqual([1, 0, 1, 1, 0]);
    expect(facets.price[0]).toEqual({ min: null, max: 2500, count: 1 });
  });
});
