import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { demoCatalog } from '../../scripts/seed/catalog.ts';
import { decodeSnapshot, encodeSnapshot } from '../lib/catalog-snapshot.ts';
import { searchItem } from '../../test/support/search-items.ts';
import { buildIndex, restoreIndex, search, words, type SearchQuery } from './search.ts';

const item = searchItem;

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

describe('typo tolerance', () => {
  const typos = buildIndex([
    item('boots', { name: 'Hiking Boots', brand: 'Kestrel' }),
    item('boats', { name: 'Model Boats', brand: 'Kestrel' }),
    item('desc', { name: 'Trail Runner', description: 'wear them like boots', brand: 'Kestrel' }),
    item('mug', { name: 'Coffee Mug', brand: 'Acme' }),
    item('sneakers', { name: 'Urban Sneakers', brand: 'Acme' }),
  ]);
  const found = (q: string) => search(typos, { q, sort: 'relevance', limit: 20 }).items.map((i) => i.id);

  it('when a word of five letters or more has one edit (insert, delete, replace, swap), then it still matches', () => {
    expect(found('sneakrs')).toEqual(['sneakers']);
    expect(found('sneakerss')).toEqual(['sneakers']);
    expect(found('sneakees')).toEqual(['sneakers']);
    expect(found('snaekers')).toEqual(['sneakers']);
    expect(found('coffe mug')).toEqual(['mug']);
  });

  it('when a word is shorter than five letters or two edits away, then no typo is forgiven', () => {
    expect(found('mig')).toEqual([]);
    expect(found('bots')).toEqual([]);
    expect(found('snaekrs')).toEqual([]);
  });

  it('when an exact match and a typo match both exist, then the exact match ranks first even from a weaker field', () => {
    // "boats" is one edit from "boots", in the name (weight 3); "desc" has "boots" only in its description (weight 1).
    expect(found('boots')).toEqual(['boots', 'desc', 'boats']);
    expect(found('boats')).toEqual(['boats', 'boots', 'desc']);
  });

  it('when a typo match is filtered or paged, then totals and cursors work as for exact matches', () => {
    const first = search(typos, { q: 'boots', sort: 'relevance', limit: 2 });
    expect(first.total).toBe(3);
    expect(search(typos, { q: 'boots', sort: 'relevance', limit: 2, after: first.next! }).items.map((i) => i.id)).toEqual(['boats']);
  });
});

describe('incremental updates', () => {
  const queries: Partial<SearchQuery>[] = [
    {}, { q: 'alpine boo' }, { q: 'alpnie' }, { q: 'cafe', sort: 'price_desc' }, { category: 'shoes', sort: 'name' },
    { category: 'boots', minPrice: 7000, maxPrice: 9000, sort: 'price_asc' }, { brands: ['Acme', 'Lumen'], sort: 'newest' },
    { inStock: true, attributes: { colour: ['black'] }, sort: 'name' }, { q: 'edition', sort: 'newest' },
  ];
  const answer = (index: ReturnType<typeof buildIndex>, q: Partial<SearchQuery>) => {
    const r = search(index, { sort: 'relevance', limit: 50, ...q });
    return { ids: r.items.map((i) => i.id), total: r.total, facets: r.facets, next: r.next };
  };

  it('when products are added, changed, archived and restocked one by one, then every answer equals a rebuild of the same catalog', () => {
    const start = demoCatalog(600).map((p) => ({ id: p.id, ...p.doc, available: p.available }));
    const index = buildIndex(start.slice(0, 400));
    const current = new Map(start.slice(0, 400).map((i) => [i.id, i]));
    for (let step = 0; step < 300; step++) {
      const pick = start[(step * 7919) % start.length]!;
      if (step % 5 === 0) {
        index.remove(pick.id);
        current.delete(pick.id);
      } else if (step % 5 === 1) {
        index.setAvailable(pick.id, 0);
        if (current.has(pick.id)) current.set(pick.id, { ...current.get(pick.id)!, available: 0 });
      } else {
        const changed = { ...pick, name: `${pick.name} Edition ${step}`, price: { amount: pick.price.amount + step, currency: 'EUR' } };
        index.upsert(changed);
        current.set(pick.id, changed);
      }
    }
    const rebuilt = buildIndex([...current.values()]);
    expect(index.size).toBe(current.size);
    for (const q of queries) expect(answer(index, q), JSON.stringify(q)).toEqual(answer(rebuilt, q));
  });

  it('when the index is stored as a snapshot and loaded, then it answers as the index it came from, and changes after loading still apply', () => {
    const index = buildIndex(demoCatalog(500).map((p) => ({ id: p.id, ...p.doc, available: p.available })));
    index.remove('p-00007');
    index.upsert({ ...index.get('p-00008')!, name: 'Zephyr Lantern' });
    const { items, data } = index.export();
    const loaded = decodeSnapshot(encodeSnapshot({ asOf: new Timestamp(1_800_000_000, 5), items, index: data }));
    expect(loaded.asOf.isEqual(new Timestamp(1_800_000_000, 5))).toBe(true);
    const restored = restoreIndex(loaded.items, loaded.index);
    for (const q of [...queries, { q: 'zephyr' }]) expect(answer(restored, q), JSON.stringify(q)).toEqual(answer(index, q));
    restored.upsert({ ...restored.get('p-00009')!, name: 'Zephyr Stool' });
    expect(search(restored, { q: 'zephyr', sort: 'name', limit: 5 }).items.map((i) => i.id)).toEqual(['p-00008', 'p-00009']);
  });

  it('when the stored index data does not fit the items, then the index is built from the items instead', () => {
    const items = demoCatalog(50).map((p) => ({ id: p.id, ...p.doc, available: p.available }));
    const { data } = buildIndex(items.slice(0, 40)).export();
    expect(answer(restoreIndex(items, data), { sort: 'name' })).toEqual(answer(buildIndex(items), { sort: 'name' }));
  });
});
