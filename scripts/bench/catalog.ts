import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FieldPath, type Firestore, type Query } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { updatedAtCommit } from '../../functions/lib/catalog.ts';
import { SNAPSHOT_OBJECT } from '../../functions/lib/catalog-snapshot.ts';
import { collections } from '../../functions/lib/firestore.ts';
import { builtEntry } from '../build.ts';
import { demoCatalog, writeCatalog, writeCatalogSnapshot } from '../seed/catalog.ts';
import { freePort } from '../stack/process.ts';
import { startFunctionProcess } from '../stack/stack.ts';
import { memoryOf, percentile } from './stats.ts';

/** One measured shape: API latency and throughput beside the raw Firestore query of the same shape. */
interface ShapeResult {
  shape: string;
  api: { p50Ms: number; p99Ms: number; perSecond: number };
  firestore: { p50Ms: number; p99Ms: number } | null;
}

/** A fresh catalog-api process: from spawn to its first complete search, and its memory after searching. */
interface ColdStart {
  fromSnapshot: boolean;
  /** Spawn to the port accepting connections. */
  listeningMs: number;
  /** Spawn to the first search answered from the whole catalog; null when it did not answer in time. */
  firstSearchMs: number | null;
  rssMiB: number;
  peakRssMiB: number;
  pssMiB: number;
  /** The copy's own account of its loading (its 'catalog loaded' log line): snapshot read, index restore, listeners. */
  phasesMs: { snapshot: number; restore: number; follow: number } | null;
  /** How old the snapshot was when the copy restored it (it searches a snapshot up to 300 s old at once). */
  snapshotAgeMs: number | null;
}

/** The 'catalog loaded' lines of a catalog-api log (copies started one after another share it). */
const loadedLines = (logFile: string) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"catalog loaded"')) : []);

/** The phases of the copy's 'catalog loaded' line (the first after `before` such lines), and the age of its snapshot. */
function loadPhases(logFile: string, before: number): Pick<ColdStart, 'phasesMs' | 'snapshotAgeMs'> {
  const last = loadedLines(logFile)[before];
  const line = last ? (JSON.parse(last) as { phasesMs?: ColdStart['phasesMs']; snapshotAgeMs?: number }) : {};
  return { phasesMs: line.phasesMs ?? null, snapshotAgeMs: line.snapshotAgeMs ?? null };
}

const round = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

const stats = (times: number[]) => ({ p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)) });

/** The search shapes the bench measures (each answer carries the facets of its whole result). */
const SHAPES: { shape: string; path: string; raw: ((products: Query) => Query) | null }[] = [
  { shape: 'category (with sub-categories), by name', path: '/v1/products?category=shoes&sort=name', raw: (p) => p.where('categories', 'array-contains', 'shoes').orderBy('name').orderBy(FieldPath.documentId()) },
  { shape: 'leaf category + price range, by price', path: '/v1/products?category=boots&minPrice=7000&maxPrice=9000&sort=price_asc', raw: (p) => p.where('categories', 'array-contains', 'boots').where('price.amount', '>=', 7000).where('price.amount', '<=', 9000).orderBy('price.amount') },
  { shape: 'two brands, by name', path: '/v1/products?brand=Acme,Lumen&sort=name', raw: (p) => p.where('brand', 'in', ['Acme', 'Lumen']).orderBy('name') },
  { shape: 'text "alpine boo" + in stock, by relevance', path: '/v1/products?q=alpine%20boo&inStock=true', raw: null },
  { shape: 'text with a typo "alpnie boots", by relevance', path: '/v1/products?q=alpnie%20boots', raw: null },
  { shape: 'whole catalog, newest first', path: '/v1/products?sort=newest', raw: (p) => p.orderBy('createdAt', 'desc') },
];

/** The `total` a search answers, or -1 when it does not answer 200 (its body is read either way). */
async function searchTotal(url: string): Promise<number> {
  const response = await fetch(url).catch(() => null);
  if (!response?.ok) {
    await response?.arrayBuffer();
    return -1;
  }
  return ((await response.json()) as { total: number }).total;
}

/**
 * Starts a fresh copy of the built catalog-api beside the running stack and times spawn → first complete search; with
 * `fromSnapshot: false` it is pointed at a bucket without a snapshot, so it reads every product as before.
 */
async function coldStart(options: { env: Record<string, string>; logDir: string; runDir: string; fromSnapshot: boolean; timeoutMs: number }): Promise<ColdStart> {
  const port = await freePort();
  const label = options.fromSnapshot ? 'snapshot' : 'full-read';
  const env = {
    ...options.env,
    CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: '0',
    // Its 'catalog loaded' line says where the loading time went.
    LOG_LEVEL: 'info',
    ...(options.fromSnapshot ? {} : { CATALOG_SNAPSHOT_BUCKET: `${options.env.CATALOG_SNAPSHOT_BUCKET}-none` }),
  };
  const logDir = join(options.logDir, `cold-start-${label}`);
  const logFile = join(logDir, 'catalog-api.log');
  mkdirSync(logDir, { recursive: true });
  const loadsBefore = loadedLines(logFile).length;
  const started = performance.now();
  const service = await startFunctionProcess({
    name: 'catalog-api', source: builtEntry('catalog-api'), signature: 'http', port, env, logDir, pidDir: join(options.runDir, `cold-start-${label}`),
  });
  try {
    const listeningMs = performance.now() - started;
    const url = `http://127.0.0.1:${port}/v1/products?category=shoes&sort=name&limit=20`;
    let firstSearchMs: number | null = null;
    while (firstSearchMs === null && performance.now() - started < options.timeoutMs) {
      if ((await searchTotal(url)) > 0) firstSearchMs = performance.now() - started;
      else await sleep(20);
    }
    // Memory once its listeners are live (a copy searching its snapshot is still catching up) and it has answered
    // searches of every kind, not just the first.
    const catchingUpUntil = performance.now() + 90_000;
    while (loadPhases(logFile, loadsBefore).phasesMs === null && performance.now() < catchingUpUntil) await sleep(100);
    for (const { path } of SHAPES) await fetch(`http://127.0.0.1:${port}${path}&limit=20`).then((r) => r.arrayBuffer()).catch(() => undefined);
    const memory = memoryOf(service.child.pid!);
    const loading = loadPhases(logFile, loadsBefore);
    return { fromSnapshot: options.fromSnapshot, listeningMs: Math.round(listeningMs), firstSearchMs: firstSearchMs === null ? null : Math.round(firstSearchMs), ...memory, ...loading };
  } finally {
    await service.stop();
  }
}

/**
 * The catalog section of the bench: seeds `products` products and stores the search snapshot, then measures each
 * search shape through the API (served from the in-memory index) beside two baselines of the same run (the raw
 * Firestore query of the same shape, and the API's floor: an empty search through the same path), the first search
 * after a product change against the same search again, a fresh catalog-api's cold start to its first search and its
 * memory (from the snapshot, and reading every product as before), and product reads with and without the read cache.
 */
export async function benchCatalog(options: {
  api: string;
  firestore: Firestore;
  products: number;
  progress: (line: string) => void;
  /** The environment the stack's functions run with; the cold-start copy gets the same. */
  functionEnv: Record<string, string>;
  logDir: string;
  runDir: string;
  /**
   * The stack seeded the catalog before its functions started, in this many seconds. The Firestore emulator runs out
   * of buffer memory streaming a seed of more than about 10,000 products to a live listener; seeding first avoids it.
   */
  seededSeconds?: number;
  /** Requests per search shape (100 for the record; fewer for a quick look): the other samples scale with it. */
  samples?: number;
}) {
  const samples = options.samples ?? 100;
  const { api, firestore: fs, progress } = options;
  const catalog = demoCatalog(options.products);
  let seedSeconds = options.seededSeconds ?? 0;
  if (options.seededSeconds === undefined) {
    progress(`seeding ${options.products} products for the catalog bench`);
    let lastReport = 0;
    const seedStarted = performance.now();
    await writeCatalog(fs, catalog, {
      onProgress: (done) => {
        if (done - lastReport >= options.products / 10) {
          lastReport = done;
          progress(`  ${done}/${options.products}`);
        }
      },
    });
    seedSeconds = round((performance.now() - seedStarted) / 1000);
  }
  const storage = new Storage({ projectId: options.functionEnv.GOOGLE_CLOUD_PROJECT! });
  let snapshot: { products: number; megabytes: number; writeSeconds: number | null };
  if (options.seededSeconds === undefined) {
    progress(`seeded in ${seedSeconds} s; storing the search snapshot`);
    const snapshotStarted = performance.now();
    const stored = await writeCatalogSnapshot(fs, storage, options.functionEnv.CATALOG_SNAPSHOT_BUCKET!);
    snapshot = { products: stored.products, megabytes: round(stored.bytes / 1048576), writeSeconds: round((performance.now() - snapshotStarted) / 1000) };
  } else {
    // The stack's seed step stored it; its time is in the seed's.
    const [metadata] = await storage.bucket(options.functionEnv.CATALOG_SNAPSHOT_BUCKET!).file(SNAPSHOT_OBJECT).getMetadata();
    snapshot = { products: Number((metadata.metadata as Record<string, string>).items), megabytes: round(Number(metadata.size) / 1048576), writeSeconds: null };
  }
  progress(`snapshot of ${snapshot.products} products: ${snapshot.megabytes} MB${snapshot.writeSeconds === null ? '' : ` in ${snapshot.writeSeconds} s`}`);
  // An instance searches its snapshot (or, without one, nothing) while its listeners catch up: a change made now shows
  // once they are live and the index holds the whole catalog, and the shapes are measured from then on.
  const until = Date.now() + 600_000;
  const marker = `zqlive${Date.now().toString(36)}`;
  const markerProduct = catalog[Math.floor(options.products / 2)]!;
  await fs.collection(collections.products).doc(markerProduct.id).update({ name: `${markerProduct.doc.name} ${marker}`, updatedAt: updatedAtCommit() });
  while ((await searchTotal(`${api}/v1/products?q=${marker}&limit=1`)) <= 0) {
    if (Date.now() > until) throw new Error('the catalog-api listeners did not catch up within 10 minutes of the seed; see .data/bench/logs/catalog-api.log');
    await sleep(200);
  }

  const products = fs.collection(collections.products);
  // A search that matches nothing: the same gateway, function and handler, no index walk and no stock read.
  const floorPath = '/v1/products?q=xqzj';
  const results: ShapeResult[] = [];
  const floorTimes: number[] = [];
  for (const { shape, path, raw: rawOf } of SHAPES) {
    const raw = rawOf ? rawOf(products) : null;
    const apiTimes: number[] = [];
    // The floor is measured interleaved with each shape, so both see the same machine.
    for (let i = 0; i < samples; i++) {
      apiTimes.push(...(await timed(1, () => get(`${api}${path}&limit=20`))));
      if (i % 2 === 0) floorTimes.push(...(await timed(1, () => get(`${api}${floorPath}&limit=20`))));
    }
    const rawTimes = raw ? await timed(10, () => raw.limit(21).get()) : null;
    const perSecond = await throughput(10, samples * 2, () => get(`${api}${path}&limit=20`));
    results.push({ shape, api: { ...stats(apiTimes), perSecond }, firestore: rawTimes ? stats(rawTimes) : null });
    progress(`${shape}: API p50 ${round(percentile(apiTimes, 50))} ms, p99 ${round(percentile(apiTimes, 99))} ms${rawTimes ? `, Firestore p99 ${round(percentile(rawTimes, 99))} ms` : ''}`);
  }
  const floor = stats(floorTimes);

  // The first search after a product change (the index follows it in place) against the same search right after.
  const afterChange: number[] = [];
  const steady: number[] = [];
  for (let i = 0; i < Math.max(3, samples / 10); i++) {
    const word = `zq${Date.now().toString(36)}${i}`;
    await products.doc(catalog[i]!.id).update({ name: `Changed ${word}`, updatedAt: updatedAtCommit() });
    await sleep(300);
    const path = `${api}/v1/products?q=${word}&category=${catalog[i]!.doc.categories[0]}&limit=20`;
    let found = 0;
    for (let attempt = 0; found === 0 && attempt < 50; attempt++) {
      const started = performance.now();
      const response = await fetch(path);
      found = ((await response.json()) as { total: number }).total;
      if (found > 0) afterChange.push(performance.now() - started);
      else await sleep(100);
    }
    steady.push(...(await timed(3, () => get(path))));
  }
  const change = { firstP50Ms: round(percentile(afterChange, 50)), steadyP50Ms: round(percentile(steady, 50)), ratio: round(percentile(afterChange, 50) / percentile(steady, 50)) };
  progress(`first search after a change p50 ${change.firstP50Ms} ms, the same search again p50 ${change.steadyP50Ms} ms`);

  const coldStarts: ColdStart[] = [];
  for (const fromSnapshot of samples >= 100 ? [true, true, false] : [true, false]) {
    const result = await coldStart({ env: options.functionEnv, logDir: options.logDir, runDir: options.runDir, fromSnapshot, timeoutMs: fromSnapshot ? 60_000 : 300_000 });
    coldStarts.push(result);
    progress(`cold start ${fromSnapshot ? 'from the snapshot' : 'reading every product'}: first search ${result.firstSearchMs ?? 'none'} ms, RSS ${result.rssMiB} MiB (peak ${result.peakRssMiB})`);
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
  for (let i = 0; i < Math.max(10, (samples * 2) / 5); i++) {
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
  return { products: options.products, samples, seedSeconds, snapshot, shapes: results, floor, change, coldStarts, reads };
}

/** The catalog section of docs/performance.md. */
export function catalogMarkdown(result: Awaited<ReturnType<typeof benchCatalog>>, cacheKind: string): string {
  const rows = result.shapes.map((s) => {
    const ratio = s.firestore ? (s.api.p99Ms / s.firestore.p99Ms).toFixed(2) : '—';
    return `| ${s.shape} | ${s.api.p50Ms} ms | **${s.api.p99Ms} ms** | ${s.api.perSecond} | ${s.firestore ? `${s.firestore.p50Ms} / ${s.firestore.p99Ms} ms` : '—'} | ${ratio} |`;
  });
  const starts = result.coldStarts.map((c) =>
    `| ${c.fromSnapshot ? `from the snapshot (${c.snapshotAgeMs === null ? 'age unknown' : `${Math.round(c.snapshotAgeMs / 1000)} s old`})` : 'reading every product (before)'} | ${c.listeningMs} ms | ${c.firstSearchMs === null ? 'no answer in time' : `**${c.firstSearchMs} ms**`} | ${c.phasesMs ? `${c.phasesMs.snapshot} / ${c.phasesMs.restore} / ${c.phasesMs.follow} ms` : '—'} | ${c.rssMiB} MiB | ${c.peakRssMiB} MiB | ${c.pssMiB} MiB |`);
  const stored = result.snapshot.writeSeconds === null
    ? `, storing the search snapshot (read every product, build the index, write ${result.snapshot.megabytes} MB to the storage endpoint) included`
    : `; storing the search snapshot (read every product, build the index, write ${result.snapshot.megabytes} MB to the storage endpoint) ${result.snapshot.writeSeconds} s`;
  return `## 3. Catalog at ${result.products.toLocaleString('en')} products

Seeding ${result.products.toLocaleString('en')} products into the Firestore emulator took ${result.seedSeconds} s${stored}.
The stack's catalog-api starts from that snapshot and, like every copy below, follows what changed from 1 s before
its time (\`CATALOG_SNAPSHOT_OVERLAP_SECONDS=1\`; 300 s in production): the seed wrote every product seconds before the
snapshot, and with the full overlap each instance would follow the whole catalog, which the emulator sends a listener
again whole on every change (2.2–3.4 s of the listener's CPU per change at 100,000 products, measured with one
listener and one write by \`scripts/bench/emulator-listeners.ts\`; Firestore sends the change alone). An instance in production follows what changed since its
snapshot.

Search through the API (gateway → catalog-api, served from the instance's in-memory index, page of 20, every answer
with the facets of its whole result), sequential, ${result.samples} requests per shape; requests/s at concurrency 10 (${result.samples * 2} requests). Two baselines
from the same run: the **API floor** (a search that matches nothing, through the same gateway and function,
interleaved with every shape): p50 **${result.floor.p50Ms} ms**, p99 **${result.floor.p99Ms} ms**; and the raw
Firestore query of the same shape from the bench process (the emulator scans the collection for every query, see
docs/design/catalog-search.md).

| shape | API p50 | API p99 (target ≤ 50 ms) | API req/s | Firestore p50 / p99 | p99 ratio to Firestore |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

- First search after a product change (the index follows the change in place): p50 **${result.change.firstP50Ms} ms**
  against **${result.change.steadyP50Ms} ms** for the same search again: **${result.change.ratio}×** (target ≤ 2×).
- A fresh catalog-api process started beside the stack (\`dist/functions/catalog-api\`, spawn → first complete search
  answered; memory once its listeners are live and it has answered a search of each shape; targets ≤ 2 s and ≤ 512 MiB).
  Loading, from the copy's own log:
  reading the snapshot (download and decode), restoring the index from it, and the two listeners' first answers
  (products and stock changed since the snapshot; the emulator scans the collection for them). From a snapshot at
  most \`CATALOG_SNAPSHOT_SERVE_WITHIN_SECONDS\` (300 s) old, searches are answered once the index is restored, while
  the listeners catch up; reading every product, or from an older snapshot, a search waits for the listeners up to
  the dependency bound (3 s) and is answered 503, so the bench sees a slow load in steps of about 3 s:

| start | port open | first search | loading: snapshot / index / listeners | RSS | peak RSS | PSS |
|---|---:|---:|---:|---:|---:|---:|
${starts.join('\n')}

- Product reads (\`GET /v1/products/{id}\`, read cache: ${cacheKind}), the first read of a product against the reads
  that follow: the read itself (the function's \`Server-Timing\`) takes **${result.reads.serverFirestoreP50Ms} ms** from
  Firestore and **${result.reads.serverCacheP50Ms} ms** from the cache: **${result.reads.serverSpeedup}×** (target ≥ 5×).
  Through the whole HTTP path (gateway and functions framework included): uncached p50
  **${result.reads.uncachedP50Ms} ms**, cached p50 **${result.reads.cachedP50Ms} ms**: ${result.reads.speedup}×.
`;
}
