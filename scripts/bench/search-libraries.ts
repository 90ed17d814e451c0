/**
 * Compares catalog-api's own search index (and the index it replaced, read from git at BEFORE_COMMIT) with Orama (@orama/orama and its persistence plugin) on the demo catalog:
 * build time, snapshot size and load time, heap, query p50/p99 for each shape of the catalog bench (facets included),
 * the cost of one incremental update, and typo support. Each engine runs in a child process of its own, one after the
 * other in the same run, so heap numbers do not mix. Times are CPU time of the process (see `timeIt`).
 *
 *   npx tsx scripts/bench/search-libraries.ts [--products 100000]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { create, insertMultiple, remove, insert, search as oramaSearch, type AnyOrama } from '@orama/orama';
import { persist, restore } from '@orama/plugin-data-persistence';
import { Timestamp } from '@google-cloud/firestore';
import { buildIndex, PRICE_BANDS, type SearchItem, type SearchQuery } from '../../functions/catalog-api/search.ts';
import { decodeSnapshot, encodeSnapshot } from '../../functions/lib/catalog-snapshot.ts';
import { demoCatalog } from '../seed/catalog.ts';
import { percentile } from './stats.ts';

/** The query shapes of the catalog bench (scripts/bench/catalog.ts), as search queries. */
export const SHAPES: { shape: string; query: SearchQuery; typo?: true }[] = [
  { shape: 'category (with sub-categories), by name', query: { category: 'shoes', sort: 'name', limit: 20 } },
  { shape: 'leaf category + price range, by price', query: { category: 'boots', minPrice: 7000, maxPrice: 9000, sort: 'price_asc', limit: 20 } },
  { shape: 'two brands, by name', query: { brands: ['Acme', 'Lumen'], sort: 'name', limit: 20 } },
  { shape: 'text "alpine boo" + in stock, by relevance', query: { q: 'alpine boo', inStock: true, sort: 'relevance', limit: 20 } },
  { shape: 'typo "alpnie boots", by relevance', query: { q: 'alpnie boots', sort: 'relevance', limit: 20 }, typo: true },
  { shape: 'whole catalog, newest first', query: { sort: 'newest', limit: 20 } },
];

const round = (n: number) => Math.round(n * 100) / 100;
/** Heap and array buffers (the index keeps its columns in typed arrays, outside the heap). */
const heapMiB = () => {
  global.gc?.();
  const m = process.memoryUsage();
  return Math.round((m.heapUsed + m.arrayBuffers) / 1048576);
};
/**
 * CPU milliseconds the process spends on `fn`, not wall time: this machine runs other work beside the comparison, and
 * CPU time is what each engine costs whoever else is running.
 */
const timeIt = async (fn: () => unknown) => {
  const started = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
};

interface EngineResult {
  engine: string;
  buildMs: number;
  heapMiB: number;
  snapshotBytes: number;
  snapshotLoadMs: number;
  updateMs: number;
  shapes: { shape: string; p50Ms: number; p99Ms: number; total: number }[];
  typoFound: boolean;
}

async function measure(run: (q: SearchQuery) => Promise<number>, rounds: number): Promise<EngineResult['shapes']> {
  const shapes: EngineResult['shapes'] = [];
  for (const { shape, query } of SHAPES) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < rounds; i++) times.push(await timeIt(async () => (total = await run(query))));
    shapes.push({ shape, p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), total });
  }
  return shapes;
}

async function handWritten(items: SearchItem[], rounds: number): Promise<EngineResult> {
  const before = heapMiB();
  let index = buildIndex([]);
  const buildMs = await timeIt(() => (index = buildIndex(items)));
  const heap = heapMiB() - before;
  const encoded = encodeSnapshot({ asOf: Timestamp.now(), items });
  const snapshotLoadMs = await timeIt(() => buildIndex(decodeSnapshot(encoded).items));
  const shapes = await measure(async (q) => index.search(q).total, rounds);
  const updates: number[] = [];
  for (let i = 0; i < 200; i++) {
    const item = items[(i * 7919) % items.length]!;
    updates.push(await timeIt(() => index.upsert({ ...item, name: `${item.name} Edition ${i}` })));
  }
  return {
    engine: 'hand-written (functions/catalog-api/search.ts)', buildMs: Math.round(buildMs), heapMiB: heap, snapshotBytes: encoded.length,
    snapshotLoadMs: Math.round(snapshotLoadMs), updateMs: round(percentile(updates, 50)),
    shapes, typoFound: shapes.find((s) => s.shape.startsWith('typo'))!.total > 0,
  };
}

/** The commit whose search.ts rebuilt its prefix index after every change (before issue 10). */
const BEFORE_COMMIT = '288f516';

async function before(items: SearchItem[], rounds: number): Promise<EngineResult> {
  const root = resolve(import.meta.dirname, '../..');
  const file = resolve(root, '.data/search-before/search.ts');
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, execFileSync('git', ['show', `${BEFORE_COMMIT}:functions/catalog-api/search.ts`], { cwd: root, encoding: 'utf8' }).replace("'../../schemas/index.ts'", `'${resolve(root, 'schemas/index.ts')}'`));
  type Old = { buildIndex(items: SearchItem[]): unknown; search(index: unknown, q: SearchQuery): { total: number } };
  const old = (await import(file)) as Old;
  const heapBefore = heapMiB();
  let index: unknown = null;
  const buildMs = await timeIt(() => (index = old.buildIndex(items)));
  const heap = heapMiB() - heapBefore;
  const shapes = await measure(async (q) => old.search(index, q).total, rounds);
  // A change made the next search rebuild the whole index.
  const updates: number[] = [];
  for (let i = 0; i < 5; i++) updates.push(await timeIt(() => (index = old.buildIndex(items.map((it, j) => (j === i ? { ...it, name: `${it.name} Edition` } : it))))));
  return {
    engine: `before (${BEFORE_COMMIT}: prefix index, rebuilt on change)`, buildMs: Math.round(buildMs), heapMiB: heap, snapshotBytes: 0,
    snapshotLoadMs: 0, updateMs: round(percentile(updates, 50)), shapes, typoFound: shapes.find((s) => s.shape.startsWith('typo'))!.total > 0,
  };
}

const schema = {
  id: 'string', name: 'string', description: 'string', brandText: 'string', attributeText: 'string',
  brand: 'enum', categories: 'enum[]', colour: 'enum[]', size: 'enum[]', price: 'number', available: 'number', createdAt: 'string',
} as const;

const oramaDoc = (i: SearchItem) => ({
  id: i.id, name: i.name, description: i.description, brandText: i.brand, attributeText: Object.values(i.attributes).flat().join(' '),
  brand: i.brand, categories: i.categories, colour: i.attributes.colour ?? [], size: i.attributes.size ?? [],
  price: i.price.amount, available: i.available, createdAt: i.createdAt,
});

async function orama(items: SearchItem[], rounds: number): Promise<EngineResult> {
  const before = heapMiB();
  let db: AnyOrama = create({ schema });
  const buildMs = await timeIt(async () => {
    db = create({ schema });
    await insertMultiple(db, items.map(oramaDoc), 1000);
  });
  const heap = heapMiB() - before;
  const persisted = (await persist(db, 'binary')) as string;
  const snapshotLoadMs = await timeIt(() => restore('binary', persisted));
  const priceRanges = [0, ...PRICE_BANDS].map((from, i) => ({ from, to: PRICE_BANDS[i] ?? 10_000_000 }));
  const run = async (q: SearchQuery) => {
    const where: Record<string, unknown> = {};
    if (q.category) where.categories = { containsAll: [q.category] };
    if (q.brands) where.brand = { in: q.brands };
    if (q.minPrice !== undefined || q.maxPrice !== undefined) where.price = { between: [q.minPrice ?? 0, q.maxPrice ?? 10_000_000] };
    if (q.inStock) where.available = { gt: 0 };
    const sortBy = q.sort === 'relevance' && q.q ? undefined : { property: q.sort.startsWith('price') ? 'price' : q.sort === 'newest' ? 'createdAt' : 'name', order: q.sort === 'price_desc' || q.sort === 'newest' ? 'DESC' : 'ASC' };
    const result = await oramaSearch(db, {
      term: q.q ?? '', properties: ['name', 'brandText', 'attributeText', 'description'], boost: { name: 3, brandText: 2 },
      tolerance: q.q ? 1 : 0, where, limit: q.limit,
      facets: { categories: {}, brand: {}, price: { ranges: priceRanges } },
      ...(sortBy ? { sortBy: sortBy as { property: string; order: 'ASC' | 'DESC' } } : {}),
    } as Parameters<typeof oramaSearch>[1]);
    return result.count;
  };
  const shapes = await measure(run, rounds);
  const updates: number[] = [];
  for (let i = 0; i < 200; i++) {
    const item = items[(i * 7919) % items.length]!;
    updates.push(await timeIt(async () => {
      await remove(db, item.id);
      await insert(db, oramaDoc({ ...item, name: `${item.name} Edition ${i}` }));
    }));
  }
  return {
    engine: `Orama ${(await import('@orama/orama/package.json', { with: { type: 'json' } })).default.version} (persistence: binary)`,
    buildMs: Math.round(buildMs), heapMiB: heap, snapshotBytes: Buffer.byteLength(persisted), snapshotLoadMs: Math.round(snapshotLoadMs),
    updateMs: round(percentile(updates, 50)), shapes, typoFound: shapes.find((s) => s.shape.startsWith('typo'))!.total > 0,
  };
}

const { values } = parseArgs({ options: { products: { type: 'string', default: '100000' }, engine: { type: 'string' }, rounds: { type: 'string', default: '100' }, engines: { type: 'string' } } });
const products = Number(values.products);
if (values.engine) {
  const items = demoCatalog(products).map((p) => ({ id: p.id, ...p.doc, available: p.available }));
  const engines = { orama, hand: handWritten, before };
  const result = await engines[values.engine as keyof typeof engines](items, Number(values.rounds));
  process.stdout.write(JSON.stringify(result));
} else {
  const results = (values.engines ?? 'before,hand,orama').split(',').map((engine) => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', import.meta.filename, '--engine', engine, '--products', String(products), '--rounds', values.rounds!], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`${engine} failed:\n${child.stderr}`);
    console.error(`${engine}: ${child.stdout}`);
    return JSON.parse(child.stdout) as EngineResult;
  });
  const row = (label: string, f: (r: EngineResult) => string | number) => `| ${label} | ${results.map(f).join(' | ')} |`;
  console.log(`${products.toLocaleString('en')} products, ${values.rounds} queries per shape, CPU time, Node ${process.version}\n`);
  console.log(`| | ${results.map((r) => r.engine).join(' | ')} |\n|---|${results.map(() => '---:').join('|')}|`);
  console.log([
    row('index build', (r) => `${r.buildMs} ms`),
    row('heap after build', (r) => `${r.heapMiB} MiB`),
    row('snapshot size', (r) => (r.snapshotBytes ? `${(r.snapshotBytes / 1048576).toFixed(1)} MB` : '— (read Firestore)')),
    row('snapshot load (decode + index ready)', (r) => (r.snapshotBytes ? `${r.snapshotLoadMs} ms` : '—')),
    row('one product change, p50 (before: a rebuild)', (r) => `${r.updateMs} ms`),
    ...results[0]!.shapes.map((s, i) => row(`${s.shape}: p50 / p99 (hits)`, (r) => `${r.shapes[i]!.p50Ms} / ${r.shapes[i]!.p99Ms} ms (${r.shapes[i]!.total})`)),
    row('typo "alpnie" finds "alpine"', (r) => (r.typoFound ? 'yes' : 'no')),
  ].join('\n'));
}
