/**
 * The catalog section of the bench on a stack of its own: `npm run bench` runs it after the saga's stack stops (a
 * catalog of thousands followed by catalog-api would otherwise charge the saga's stock changes for it), and
 * `npx tsx scripts/bench/catalog-run.ts` runs it alone, with BENCH_PRODUCTS (default 100,000). The stack seeds the
 * catalog (without images) and stores its snapshot before the functions start, as a deployment would.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFirestore } from '../../functions/lib/firestore.ts';
import { listening } from '../stack/process.ts';
import { startStack } from '../stack/stack.ts';
import { benchStackPlace } from './stack-place.ts';
import { benchCatalog, catalogMarkdown } from './catalog.ts';

const root = resolve(import.meta.dirname, '../..');

/** Seeds `products` into a stack of its own, measures the catalog on it, stops it; resolves to the result and its markdown. */
export async function catalogOnItsOwnStack(options: { products: number; samples?: number; progress: (text: string) => void }) {
  const { products, progress } = options;
  const { dataDir, logDir, ports } = await benchStackPlace('bench-catalog', 'catalog-logs');
  const project = 'saga-commerce-bench-catalog';
  let seededSeconds = 0;
  const stack = await startStack({
    ports, project, dataDir, logDir, databaseName: 'saga', seedProducts: products, seedImages: false, logLevel: 'warn', faultProxies: false,
    // The bench stores the snapshot itself after seeding; the stack's instance storing one too would land mid-measurement.
    // Every instance follows changes from 1 s before the snapshot, at every size (the stack does so past 10,000).
    functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '10000000', CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: '0', CATALOG_SNAPSHOT_OVERLAP_SECONDS: '1' },
    ...((await listening(6379)) ? { redisUrl: 'redis://127.0.0.1:6379' } : {}),
    onProgress: (step, done) => {
      if (done && step.startsWith('seeding')) seededSeconds = Math.round(done.ms / 100) / 10;
      if (done) progress(`catalog stack: ${step} (${(done.ms / 1000).toFixed(1)} s)`);
    },
  });
  try {
    const result = await benchCatalog({
      api: stack.urls.api, firestore: createFirestore(project), products, progress,
      functionEnv: stack.env, logDir, runDir: join(dataDir, 'run'), seededSeconds, ...(options.samples ? { samples: options.samples } : {}),
    });
    return { result, markdown: catalogMarkdown(result, stack.env.REDIS_URL ? 'Redis' : 'in memory') };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { result, markdown } = await catalogOnItsOwnStack({ products: Number(process.env.BENCH_PRODUCTS ?? 100_000), progress: (text) => process.stdout.write(`  ${text}\n`) });
  console.log(`\n${markdown}`);
  writeFileSync(resolve(root, '.data/bench/catalog.json'), JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2));
}
