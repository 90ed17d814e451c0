import { FieldPath, type Firestore, type Query } from '@google-cloud/firestore';
import { collections } from '../../functions/lib/firestore.ts';
import { demoCatalog, writeCatalog } from '../seed/catalog.ts';
import { percentile } from './stats.ts';

/** One measured shape: API latency and throughput beside the raw Firestore query of the same shape. */
interface ShapeResult {
  shape: string;
  api: { p50Ms: number; p99Ms: number; perSecond: number };
  firestore: { p50Ms: number; p99Ms: number } | null;
}

const round = (n: number) => Math.round(n * 10) / 10;

async function timed(count: number, once: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await once(i);
    times.push(performance.now() - started);
  }
  return times;
}

async function throughput(concurrency: number, count: number, once: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await once(next++);
  }));
  return round(count / ((performance.now() - started) / 1000));
}

const get = async (url: string) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  await response.arrayBuffer();
};

/**
 * The catalog section of the bench: seeds `products` products, then measures search shapes through the API (served
 * from the in-memory projection) beside the raw Firestore query of the same shape, the first search after a change
 * (index rebuild), and product reads with and without the read cache.
 */
export async function benchCatalog(options: {
  api: string;
  firestore: Firestore;
  products: number;
  progress: (line: string) => void;
}) {
  const { api, firestore: fs, progress } = options;
  progress(`seeding ${options.products} products for the catalog bench`);
  const catalog = demoCatalog(options.products);
  let lastReport = 0;
  await writeCatalog(fs, catalog, {
    onProgress: (done) => {
      if (done - lastReport >= options.products / 10) {
        lastReport = done;
        progress(`  ${done}/${options.products}`);
      }
    },
  });
  // Right after the seed the emulator is still streaming the new products to the listeners: wait until search answers.
  const until = Date.now() + 120_000;
  while (!(await fetch(`${api}/v1/products?limit=1`).then((r) => r.ok, () => false))) {
    if (Date.now() > until) throw new Error('search did not answer within 2 minutes of the seed; see .data/bench/logs/catalog-api.log');
    await new Promise((r) => setTimeout(r, 500));
  }

  const products = fs.collection(collections.products);
  const shapes: { shape: string; path: string; raw: Query | null }[] = [
    { shape: 'category (with sub-categories), by name', path: '/v1/products?category=shoes&sort=name', raw: products.where('categories', 'array-contains', 'shoes').orderBy('name').orderBy(FieldPath.documentId()) },
    { shape: 'leaf category + price range, by price', path: '/v1/products?category=boots&minPrice=7000&maxPrice=9000&sort=price_asc', raw: products.where('categories', 'array-contains', 'boots').where('price.amount', '>=', 7000).where('price.amount', '<=', 9000).orderBy('price.amount') },
    { shape: 'two brands, by name', path: '/v1/products?brand=Acme,Lumen&sort=name', raw: products.where('brand', 'in', ['Acme', 'Lumen']).orderBy('name') },
    { shape: 'text "alpine boo" + in stock, by relevance', path: '/v1/products?q=alpine%20boo&inStock=true', raw: null },
  ];
  const results: ShapeResult[] = [];
  for (const { shape, path, raw } of shapes) {
    const apiTimes = await timed(60, () => get(`${api}${path}&limit=20`));
    const rawTimes = raw ? await timed(30, () => raw.limit(21).get()) : null;
    const perSecond = await throughput(10, 300, () => get(`${api}${path}&limit=20`));
    results.push({
      shape,
      api: { p50Ms: round(percentile(apiTimes, 50)), p99Ms: round(percentile(apiTimes, 99)), perSecond },
      firestore: rawTimes ? { p50Ms: round(percentile(rawTimes, 50)), p99Ms: round(percentile(rawTimes, 99)) } : null,
    });
    progress(`${shape}: API p99 ${round(percentile(apiTimes, 99))} ms${rawTimes ? `, Firestore p99 ${round(percentile(rawTimes, 99))} ms` : ''}`);
  }

  // The first search after a product change rebuilds the index of this instance.
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = catalog[i]!.id;
    await products.doc(id).update({ description: `changed ${Date.now()}` });
    await new Promise((r) => setTimeout(r, 300));
    cold.push((await timed(1, () => get(`${api}/v1/products?category=shoes&sort=name&limit=20`)))[0]!);
  }

  // Product reads: the first read of a product nobody has read yet (a cache miss) against the reads that follow.
  const misses: number[] = [];
  const hits: number[] = [];
  const serverRead = { firestore: [] as number[], cache: [] as number[] };
  const read = async (id: string) => {
    const response = await fetch(`${api}/v1/products/${id}`);
    await response.arrayBuffer();
    const timing = /desc="(\w+)";dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
    if (timing) serverRead[timing[1] as 'firestore' | 'cache']?.push(Number(timing[2]));
  };
  for (let i = 0; i < 40; i++) {
    const id = catalog[options.products - 1 - i]!.id;
    misses.push((await timed(1, () => read(id)))[0]!);
    hits.push(...(await timed(3, () => read(id))));
  }
  const reads = {
    uncachedP50Ms: round(percentile(misses, 50)),
    cachedP50Ms: round(percentile(hits, 50)),
    speedup: round(percentile(misses, 50) / percentile(hits, 50)),
    serverFirestoreP50Ms: round(percentile(serverRead.firestore, 50)),
    serverCacheP50Ms: round(percentile(serverRead.cache, 50)),
    serverSpeedup: round(percentile(serverRead.firestore, 50) / percentile(serverRead.cache, 50)),
  };
  progress(`product reads: uncached p50 ${reads.uncachedP50Ms} ms, cached p50 ${reads.cachedP50Ms} ms`);
  return { products: options.products, shapes: results, coldSearchP50Ms: round(percentile(cold, 50)), reads };
}

/** The catalog section of docs/performance.md. */
export function catalogMarkdown(result: Awaited<ReturnType<typeof benchCatalog>>, cacheKind: string): string {
  const rows = result.shapes.map((s) => {
    const ratio = s.firestore ? (s.api.p99Ms / s.firestore.p99Ms).toFixed(2) : '—';
    return `| ${s.shape} | ${s.api.p50Ms} ms | ${s.api.p99Ms} ms | ${s.api.perSecond} | ${s.firestore ? `${s.firestore.p50Ms} ms` : '—'} | ${s.firestore ? `${s.firestore.p99Ms} ms` : '—'} | ${ratio} |`;
  });
  return `## Catalog at ${result.products.toLocaleString('en')} products

Search through the API (gateway → catalog-api, served from the instance's in-memory projection, page of 20) beside
the raw Firestore query of the same shape from the bench process (the baseline; the emulator scans the collection
for every query, see docs/design/catalog-search.md). Latency sequential; requests/s at concurrency 10.

| shape | API p50 | API p99 | API req/s | Firestore p50 | Firestore p99 | p99 ratio (target ≤ 1.5) |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

- First search after a product change (this instance rebuilds its index): p50 **${result.coldSearchP50Ms} ms**.
- Product reads (\`GET /v1/products/{id}\`, read cache: ${cacheKind}), the first read of a product against the reads
  that follow: the read itself (the function's \`Server-Timing\`) takes **${result.reads.serverFirestoreP50Ms} ms** from
  Firestore and **${result.reads.serverCacheP50Ms} ms** from the cache: **${result.reads.serverSpeedup}×** (target ≥ 5×).
  Through the whole HTTP path (gateway and functions framework included): uncached p50
  **${result.reads.uncachedP50Ms} ms**, cached p50 **${result.reads.cachedP50Ms} ms**: ${result.reads.speedup}×.
`;
}
