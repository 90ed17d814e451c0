import type { Money, ProductSort } from '../../schemas/index.ts';

/** A product as the search projection holds it. */
export interface SearchItem {
  id: string;
  name: string;
  description: string;
  brand: string;
  category: string;
  categories: string[];
  price: Money;
  attributes: Record<string, string[]>;
  images: { id: string; object: string; url: string; contentType: string; bytes: number }[];
  createdAt: string;
  available: number;
}

export type SortOrder = ProductSort;

/** What a shopper asks for; every field narrows the result. */
export interface SearchQuery {
  q?: string;
  category?: string;
  brands?: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  attributes?: Record<string, string[]>;
  sort: SortOrder;
  limit: number;
  /** The sort key and id of the last item of the previous page. */
  after?: { key: string | number; id: string };
}

/** Upper bounds (minor units, exclusive) of the price bands the facets count; the last band is open. */
export const PRICE_BANDS = [2500, 5000, 10_000, 20_000] as const;

export interface Facets {
  category: Record<string, number>;
  brand: Record<string, number>;
  price: { min: number | null; max: number | null; count: number }[];
}

export interface SearchResult {
  items: SearchItem[];
  facets: Facets;
  total: number;
  /** Where the next page starts, or null on the last page. */
  next: { key: string | number; id: string } | null;
  /** The order applied: relevance without search words falls back to name. */
  sort: SortOrder;
}

/** Words of a text, lower case and without accents, so "Café" and "cafe" match. */
export function words(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A searchable catalog: items with a prefix index over name, brand, description and attributes. */
export interface SearchIndex {
  items: SearchItem[];
  /** Every word prefix → the items whose text has a word starting with it, with the best field weight. */
  prefixes: Map<string, Map<number, number>>;
}

const FIELD_WEIGHTS = { name: 3, brand: 2, attributes: 1, description: 1 } as const;

/** Builds the index; an exact word scores above a prefix of the same field. */
export function buildIndex(items: SearchItem[]): SearchIndex {
  const prefixes = new Map<string, Map<number, number>>();
  const add = (key: string, item: number, weight: number) => {
    let postings = prefixes.get(key);
    if (!postings) prefixes.set(key, (postings = new Map()));
    if ((postings.get(item) ?? 0) < weight) postings.set(item, weight);
  };
  items.forEach((item, i) => {
    const fields: [keyof typeof FIELD_WEIGHTS, string][] = [
      ['name', item.name],
      ['brand', item.brand],
      ['attributes', Object.values(item.attributes).flat().join(' ')],
      ['description', item.description],
    ];
    for (const [field, text] of fields) {
      for (const word of words(text)) {
        for (let end = 1; end <= word.length; end++) {
          // A whole word weighs a little more than a prefix of it.
          add(word.slice(0, end), i, FIELD_WEIGHTS[field] + (end === word.length ? 0.5 : 0));
        }
      }
    }
  });
  return { items, prefixes };
}

function sortKey(item: SearchItem, sort: SortOrder, score: number): string | number {
  switch (sort) {
    case 'relevance':
      return score;
    case 'price_asc':
    case 'price_desc':
      return item.price.amount;
    case 'newest':
      return item.createdAt;
    case 'name':
      return item.name.toLowerCase();
    default: {
      const unreachable: never = sort;
      throw new Error(`unknown sort ${String(unreachable)}`);
    }
  }
}

/** Descending for relevance, price_desc and newest; ascending otherwise; ties by id, so the order is total. */
function compare(sort: SortOrder, a: { key: string | number; id: string }, b: { key: string | number; id: string }): number {
  const descending = sort === 'relevance' || sort === 'price_desc' || sort === 'newest';
  if (a.key !== b.key) return (a.key < b.key ? -1 : 1) * (descending ? -1 : 1);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function matches(item: SearchItem, query: SearchQuery): boolean {
  if (query.category && !item.categories.includes(query.category)) return false;
  if (query.brands?.length && !query.brands.some((b) => b.toLowerCase() === item.brand.toLowerCase())) return false;
  if (query.minPrice !== undefined && item.price.amount < query.minPrice) return false;
  if (query.maxPrice !== undefined && item.price.amount > query.maxPrice) return false;
  if (query.inStock && item.available <= 0) return false;
  for (const [name, wanted] of Object.entries(query.attributes ?? {})) {
    const values = (item.attributes[name] ?? []).map((v) => v.toLowerCase());
    if (!wanted.some((w) => values.includes(w.toLowerCase()))) return false;
  }
  return true;
}

function facetsOf(items: SearchItem[]): Facets {
  const category: Record<string, number> = {};
  const brand: Record<string, number> = {};
  const bands = [null, ...PRICE_BANDS].map((min, i) => ({ min: min as number | null, max: (PRICE_BANDS[i] ?? null) as number | null, count: 0 }));
  for (const item of items) {
    for (const c of item.categories) category[c] = (category[c] ?? 0) + 1;
    brand[item.brand] = (brand[item.brand] ?? 0) + 1;
    const band = PRICE_BANDS.findIndex((max) => item.price.amount < max);
    bands[band === -1 ? PRICE_BANDS.length : band]!.count++;
  }
  return { category, brand, price: bands };
}

/**
 * Runs a query over the index: text (every word must match, as a word or a word prefix), filters, sort, facets of
 * the whole result set, and one page after the cursor position.
 */
export function search(index: SearchIndex, query: SearchQuery): SearchResult {
  const terms = words(query.q ?? '');
  let scored: { item: SearchItem; score: number }[];
  if (terms.length === 0) {
    scored = index.items.map((item) => ({ item, score: 0 }));
  } else {
    const [first, ...rest] = terms.map((t) => index.prefixes.get(t) ?? new Map<number, number>());
    scored = [...first!.entries()]
      .filter(([i]) => rest.every((postings) => postings.has(i)))
      .map(([i, weight]) => ({ item: index.items[i]!, score: weight + rest.reduce((sum, p) => sum + p.get(i)!, 0) }));
  }
  const sort: SortOrder = query.sort === 'relevance' && terms.length === 0 ? 'name' : query.sort;
  const found = scored
    .filter(({ item }) => matches(item, query))
    .map(({ item, score }) => ({ item, key: sortKey(item, sort, score), id: item.id }))
    .sort((a, b) => compare(sort, a, b));
  const start = query.after ? found.findIndex((f) => compare(sort, f, query.after!) > 0) : 0;
  const page = start === -1 ? [] : found.slice(start, start + query.limit);
  const last = page.at(-1);
  const hasMore = start !== -1 && start + query.limit < found.length;
  return {
    items: page.map((p) => p.item),
    facets: facetsOf(found.map((f) => f.item)),
    total: found.length,
    next: hasMore && last ? { key: last.key, id: last.id } : null,
    sort,
  };
}
