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
  const lower = text.toLowerCase();
  // Printable ASCII, the common case, skips Unicode normalisation (most of the cost of indexing a catalog).
  if (!/[^ -~]/.test(lower)) return lower.split(/[^a-z0-9]+/).filter(Boolean);
  return lower
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

const FIELD_WEIGHTS = { name: 3, brand: 2, attributes: 1, description: 1 } as const;
/** A search word that equals a product word scores this much above one that is only its prefix. */
const EXACT_BONUS = 0.5;
/** Typo tolerance applies to search words of at least this many characters that are not plain numbers. */
export const TYPO_MIN_LENGTH = 5;

/** One indexed product: the item and what queries compare, computed once. */
interface Entry {
  item: SearchItem;
  slot: number;
  /** The name in lower case: the key of the name order. */
  name: string;
}

/** Most categories one product can be filed under (its category and its ancestors). */
const MAX_CATEGORY_DEPTH = 8;

/** Names ↔ small numbers; a name keeps its number for the index's life. */
function dictionary() {
  const ids = new Map<string, number>();
  const names: string[] = [];
  return {
    names,
    idOf(name: string): number {
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = names.push(name) - 1));
      return id;
    },
    find: (name: string) => ids.get(name),
  };
}

const bandOf = (amount: number) => {
  let band = 0;
  while (band < PRICE_BANDS.length && amount >= PRICE_BANDS[band]!) band++;
  return band;
};

export type OrderedSort = Exclude<SortOrder, 'relevance'>;
const ORDERED_SORTS: readonly OrderedSort[] = ['name', 'price_asc', 'price_desc', 'newest'];

/**
 * A searchable catalog that changes in place: an inverted index from each word to the products that contain it,
 * a sorted vocabulary for prefixes, one-deletion variants of the vocabulary for typos, and the products kept in each
 * sort order. `upsert` and `remove` update all of it for one product; nothing is ever rebuilt.
 */
export interface SearchIndex {
  readonly size: number;
  /** Adds a product or replaces the indexed copy of it. */
  upsert(item: SearchItem): void;
  /** Drops a product; unknown ids are ignored. */
  remove(id: string): void;
  /** Changes a product's stock level; nothing else of the index depends on it. */
  setAvailable(id: string, available: number): void;
  get(id: string): SearchItem | undefined;
  /** Every indexed product, in no particular order. */
  items(): SearchItem[];
  /** The products with the index's structures as data, for `restoreIndex`. */
  export(): { items: SearchItem[]; data: IndexData };
  /** Runs a query; see `search`. */
  search(query: SearchQuery): SearchResult;
}

function sortKeyOf(entry: Entry, sort: OrderedSort): string | number {
  switch (sort) {
    case 'price_asc':
    case 'price_desc':
      return entry.item.price.amount;
    case 'newest':
      return entry.item.createdAt;
    case 'name':
      return entry.name;
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

/** The words of a product's searchable text, each with the weight of the best field it appears in. */
function termsOf(item: SearchItem): Map<string, number> {
  const terms = new Map<string, number>();
  const fields: [keyof typeof FIELD_WEIGHTS, string][] = [
    ['name', item.name],
    ['brand', item.brand],
    ['attributes', Object.values(item.attributes).flat().join(' ')],
    ['description', item.description],
  ];
  for (const [field, text] of fields) {
    for (const word of words(text)) {
      if ((terms.get(word) ?? 0) < FIELD_WEIGHTS[field]) terms.set(word, FIELD_WEIGHTS[field]);
    }
  }
  return terms;
}

const typoEligible = (word: string) => word.length >= TYPO_MIN_LENGTH - 1 && !/^\p{N}+$/u.test(word);

/** The word with each one character left out. */
function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** True when b is one edit from a: one character inserted, deleted or replaced, or two neighbours swapped. */
export function oneEdit(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** First index in the sorted array whose value is not below `value`. */
function lowerBound<T>(sorted: readonly T[], below: (x: T) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(sorted[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Builds an index of `items`; the same as upserting them one by one into an empty index. */
/**
 * An index's structures as plain data, for items stored beside it in the same order: the postings of each word and
 * each sort order, by position in that list. Loading it skips tokenising and sorting the catalog.
 */
export interface IndexData {
  postings: Record<string, number[]>;
  orders: Record<OrderedSort, number[]>;
}

/** An index of `items` from the data `export` gave with them; built from the items instead if the data does not fit. */
export function restoreIndex(items: SearchItem[], data: unknown): SearchIndex {
  const fits = (d: unknown): d is IndexData => {
    const orders = (d as Partial<IndexData> | null)?.orders;
    return typeof (d as Partial<IndexData> | null)?.postings === 'object' && !!orders && ORDERED_SORTS.every((sort) => orders[sort]?.length === items.length);
  };
  return fits(data) ? buildIndex(items, data) : buildIndex(items);
}

/** Builds an index of `items`; the same as upserting them one by one into an empty index. */
export function buildIndex(items: Iterable<SearchItem>, prebuilt?: IndexData): SearchIndex {
  const entries: (Entry | undefined)[] = [];
  const slots = new Map<string, number>();
  const free: number[] = [];
  // word → its postings, each `slot * 4 + field weight` (weights are 1 to 3): one small integer per posting.
  const postings = new Map<string, number[]>();
  const vocabulary: string[] = [];
  const variants = new Map<string, Set<string>>();
  const orders = Object.fromEntries(ORDERED_SORTS.map((s) => [s, [] as number[]])) as Record<OrderedSort, number[]>;
  const categoryNames = dictionary();
  const brandNames = dictionary();
  // What filters and facets read, by slot, in typed arrays: a query walks 100,000 products in a sort order, and
  // reading these stays in cache where following each product object would not.
  let columns = allocate(1024);
  let bulk = true;

  function allocate(capacity: number) {
    return {
      capacity,
      price: new Float64Array(capacity),
      available: new Float64Array(capacity),
      brand: new Int32Array(capacity),
      band: new Uint8Array(capacity),
      categories: new Int32Array(capacity * MAX_CATEGORY_DEPTH).fill(-1),
    };
  }

  function setColumns(slot: number, item: SearchItem) {
    if (item.categories.length > MAX_CATEGORY_DEPTH) throw new Error(`product ${item.id} has more than ${MAX_CATEGORY_DEPTH} categories`);
    if (slot >= columns.capacity) {
      const grown = allocate(columns.capacity * 2);
      for (const key of ['price', 'available', 'brand', 'band', 'categories'] as const) grown[key].set(columns[key] as never);
      columns = grown;
    }
    columns.price[slot] = item.price.amount;
    columns.available[slot] = item.available;
    columns.brand[slot] = brandNames.idOf(item.brand);
    columns.band[slot] = bandOf(item.price.amount);
    for (let i = 0; i < MAX_CATEGORY_DEPTH; i++) columns.categories[slot * MAX_CATEGORY_DEPTH + i] = i < item.categories.length ? categoryNames.idOf(item.categories[i]!) : -1;
  }

  const compareEntries = (sort: OrderedSort, a: Entry, b: Entry) => {
    const [ka, kb] = [sortKeyOf(a, sort), sortKeyOf(b, sort)];
    if (ka !== kb) return (ka < kb ? -1 : 1) * (sort === 'price_desc' || sort === 'newest' ? -1 : 1);
    return a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0;
  };
  const orderedBefore = (sort: OrderedSort, a: Entry, b: Entry) => compareEntries(sort, a, b) < 0;

  function addWord(word: string) {
    if (!bulk) vocabulary.splice(lowerBound(vocabulary, (w) => w < word), 0, word);
    else vocabulary.push(word);
    if (!typoEligible(word)) return;
    for (const v of [word, ...deletions(word)]) {
      let set = variants.get(v);
      if (!set) variants.set(v, (set = new Set()));
      set.add(word);
    }
  }

  function dropWord(word: string) {
    const at = lowerBound(vocabulary, (w) => w < word);
    if (vocabulary[at] === word) vocabulary.splice(at, 1);
    if (!typoEligible(word)) return;
    for (const v of [word, ...deletions(word)]) {
      const set = variants.get(v);
      set?.delete(word);
      if (set?.size === 0) variants.delete(v);
    }
  }

  function unindex(entry: Entry) {
    for (const [word, weight] of termsOf(entry.item)) {
      const list = postings.get(word)!;
      const at = list.indexOf(entry.slot * 4 + weight);
      list[at] = list.at(-1)!;
      list.pop();
      if (list.length === 0) {
        postings.delete(word);
        dropWord(word);
      }
    }
    for (const sort of ORDERED_SORTS) {
      const order = orders[sort];
      const at = lowerBound(order, (s) => orderedBefore(sort, entries[s]!, entry));
      if (order[at] !== entry.slot) throw new Error(`search index out of order for ${entry.item.id}`);
      order.splice(at, 1);
    }
  }

  function index(entry: Entry) {
    for (const [word, weight] of termsOf(entry.item)) {
      let list = postings.get(word);
      if (!list) {
        postings.set(word, (list = []));
        addWord(word);
      }
      list.push(entry.slot * 4 + weight);
    }
    for (const sort of ORDERED_SORTS) {
      const order = orders[sort];
      if (bulk) order.push(entry.slot);
      else order.splice(lowerBound(order, (s) => orderedBefore(sort, entries[s]!, entry)), 0, entry.slot);
    }
  }

  function upsert(item: SearchItem) {
    const existing = slots.get(item.id);
    if (existing !== undefined) unindex(entries[existing]!);
    const slot = existing ?? free.pop() ?? entries.length;
    const entry: Entry = {
      item,
      slot,
      name: item.name.toLowerCase(),
    };
    entries[slot] = entry;
    setColumns(slot, item);
    slots.set(item.id, slot);
    index(entry);
  }

  function remove(id: string) {
    const slot = slots.get(id);
    if (slot === undefined) return;
    unindex(entries[slot]!);
    entries[slot] = undefined;
    slots.delete(id);
    free.push(slot);
  }

  /** Slot → score of the products that match every search word (as a word, a word prefix, or one edit away). */
  function textScores(terms: string[]): Map<number, number> {
    // A product that needs a typo for any word ranks below every product that matches all words without one.
    const typoPenalty = 4 * terms.length;
    let result: Map<number, number> | null = null;
    for (const term of terms) {
      const scores = new Map<number, number>();
      const offer = (word: string, bonus: number) => {
        for (const posting of postings.get(word) ?? []) {
          const slot = posting >> 2;
          const weight = posting & 3;
          if (result && !result.has(slot)) continue;
          const score = weight + bonus;
          if ((scores.get(slot) ?? -Infinity) < score) scores.set(slot, score);
        }
      };
      for (let at = lowerBound(vocabulary, (w) => w < term); at < vocabulary.length && vocabulary[at]!.startsWith(term); at++) {
        offer(vocabulary[at]!, vocabulary[at] === term ? EXACT_BONUS : 0);
      }
      if (term.length >= TYPO_MIN_LENGTH && typoEligible(term)) {
        const near = new Set<string>();
        for (const v of [term, ...deletions(term)]) for (const word of variants.get(v) ?? []) if (oneEdit(term, word)) near.add(word);
        for (const word of near) offer(word, -typoPenalty);
      }
      if (result) for (const [slot, score] of scores) scores.set(slot, score + result.get(slot)!);
      result = scores;
      if (result.size === 0) break;
    }
    return result ?? new Map();
  }

  /** The filters of a query as a test of one slot; the cheap column checks come first. */
  function matcher(query: SearchQuery): (slot: number) => boolean {
    const wantedBrands = query.brands?.length ? new Set(query.brands.map((b) => b.toLowerCase())) : null;
    const brands = wantedBrands ? new Set(brandNames.names.flatMap((name, id) => (wantedBrands.has(name.toLowerCase()) ? [id] : []))) : null;
    const attributes = Object.entries(query.attributes ?? {}).map(([name, wanted]) => [name, wanted.map((w) => w.toLowerCase())] as const);
    const category = query.category ? (categoryNames.find(query.category) ?? -2) : null;
    const { minPrice, maxPrice, inStock } = query;
    const { price, available, brand, categories } = columns;
    return (slot) => {
      if (category !== null) {
        let found = false;
        for (let i = slot * MAX_CATEGORY_DEPTH, end = i + MAX_CATEGORY_DEPTH; i < end && categories[i] !== -1; i++) {
          if (categories[i] === category) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      if (brands && !brands.has(brand[slot]!)) return false;
      if (minPrice !== undefined && price[slot]! < minPrice) return false;
      if (maxPrice !== undefined && price[slot]! > maxPrice) return false;
      if (inStock && available[slot]! <= 0) return false;
      if (attributes.length === 0) return true;
      const item = entries[slot]!.item;
      for (const [name, wanted] of attributes) {
        if (!(item.attributes[name] ?? []).some((v) => wanted.includes(v.toLowerCase()))) return false;
      }
      return true;
    };
  }

  function search(query: SearchQuery): SearchResult {
    const terms = words(query.q ?? '');
    const scores = terms.length > 0 ? textScores(terms) : null;
    const sort: SortOrder = query.sort === 'relevance' && terms.length === 0 ? 'name' : query.sort;
    const matches = matcher(query);
    const categoryCounts = new Uint32Array(categoryNames.names.length);
    const brandCounts = new Uint32Array(brandNames.names.length);
    const bandCounts = new Uint32Array(PRICE_BANDS.length + 1);
    const { brand, band, categories } = columns;
    const page: number[] = [];
    let total = 0;
    let more = false;
    const keyOf = (slot: number) => (sort === 'relevance' ? scores!.get(slot)! : sortKeyOf(entries[slot]!, sort));
    const position = (slot: number) => ({ key: keyOf(slot), id: entries[slot]!.item.id });
    /** Counts a matching slot into the facets and the total; `paged` says it is at or after the cursor. */
    const take = (slot: number, paged: boolean) => {
      for (let i = slot * MAX_CATEGORY_DEPTH, end = i + MAX_CATEGORY_DEPTH; i < end && categories[i] !== -1; i++) categoryCounts[categories[i]!]!++;
      brandCounts[brand[slot]!]!++;
      bandCounts[band[slot]!]!++;
      total++;
      if (!paged) return;
      if (page.length < query.limit) page.push(slot);
      else more = true;
    };
    const after = query.after;
    if (sort === 'relevance' || (scores && scores.size * 16 < slots.size)) {
      // Few text hits: sorting them is cheaper than walking the whole catalog in order.
      const found: { slot: number; key: string | number; id: string }[] = [];
      for (const slot of scores!.keys()) if (matches(slot)) found.push({ slot, ...position(slot) });
      found.sort((a, b) => compare(sort, a, b));
      for (const f of found) take(f.slot, !after || compare(sort, f, after) > 0);
    } else {
      const order = orders[sort];
      // Where the page starts: the order is total, so the cursor has one place in it.
      const from = after ? lowerBound(order, (slot) => compare(sort, position(slot), after) <= 0) : 0;
      for (let i = 0; i < order.length; i++) {
        const slot = order[i]!;
        if ((scores && !scores.has(slot)) || !matches(slot)) continue;
        take(slot, i >= from);
      }
    }
    const last = page.at(-1);
    return {
      items: page.map((slot) => entries[slot]!.item),
      facets: {
        category: counted(categoryNames.names, categoryCounts),
        brand: counted(brandNames.names, brandCounts),
        price: [null, ...PRICE_BANDS].map((min, i) => ({ min, max: PRICE_BANDS[i] ?? null, count: bandCounts[i]! })),
      },
      total,
      next: more && last !== undefined ? position(last) : null,
      sort,
    };
  }

  if (prebuilt) {
    let slot = 0;
    for (const item of items) {
      entries[slot] = { item, slot, name: item.name.toLowerCase() };
      slots.set(item.id, slot);
      setColumns(slot++, item);
    }
    for (const [word, list] of Object.entries(prebuilt.postings)) {
      postings.set(word, list);
      addWord(word);
    }
    vocabulary.sort();
    for (const sort of ORDERED_SORTS) orders[sort] = prebuilt.orders[sort];
  } else {
    // Bulk loading appends and sorts once at the end, so a repeated id keeps its last copy before anything is indexed.
    for (const item of new Map([...items].map((i) => [i.id, i])).values()) upsert(item);
    vocabulary.sort();
    for (const sort of ORDERED_SORTS) orders[sort].sort((a, b) => compareEntries(sort, entries[a]!, entries[b]!));
  }
  bulk = false;

  function exportData(): { items: SearchItem[]; data: IndexData } {
    const position = new Int32Array(entries.length).fill(-1);
    const live: SearchItem[] = [];
    entries.forEach((entry, slot) => {
      if (entry) position[slot] = live.push(entry.item) - 1;
    });
    return {
      items: live,
      data: {
        postings: Object.fromEntries([...postings].map(([word, list]) => [word, list.map((p) => position[p >> 2]! * 4 + (p & 3))])),
        orders: Object.fromEntries(ORDERED_SORTS.map((sort) => [sort, orders[sort].map((slot) => position[slot]!)])) as Record<OrderedSort, number[]>,
      },
    };
  }

  return {
    get size() {
      return slots.size;
    },
    upsert,
    remove,
    setAvailable(id, available) {
      const slot = slots.get(id);
      if (slot === undefined) return;
      entries[slot] = { ...entries[slot]!, item: { ...entries[slot]!.item, available } };
      columns.available[slot] = available;
    },
    get: (id) => {
      const slot = slots.get(id);
      return slot === undefined ? undefined : entries[slot]!.item;
    },
    items: () => entries.filter((e): e is Entry => e !== undefined).map((e) => e.item),
    export: exportData,
    search,
  };
}

const counted = (names: string[], counts: Uint32Array): Record<string, number> =>
  Object.fromEntries(names.flatMap((name, i) => (counts[i] ? [[name, counts[i]]] : [])));

/**
 * Runs a query over the index: text (every word must match, as a word, a word prefix, or for words of five letters or
 * more one edit away, ranked below exact matches), filters, sort, facets of the whole result set, and one page after
 * the cursor position.
 */
export function search(index: SearchIndex, query: SearchQuery): SearchResult {
  return index.search(query);
}
