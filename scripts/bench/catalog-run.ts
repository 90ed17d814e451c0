/**
 * Runs only the catalog section of the bench on a stack of its own (the saga sections stay in scripts/bench.ts):
 * `npx tsx scripts/bench/catalog-run.ts`, with BENCH_PRODUCTS (default 10,000). The stack seeds the catalog (without
 * images) and stores its snapshot before the functions start, as a deployment would. Prints the markdown section and
 * writes .data/bench/catalog.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { functionNames, type FunctionName } from '../../schemas/index.ts';
import { createFirestore } from '../../functions/lib/firestore.ts';
import { freePort } from '../stack/process.ts';
import { startStack } from '../stack/stack.ts';
import { benchCatalog, catalogMarkdown } from './catalog.ts';

const root = resolve(import.meta.dirname, '../..');
const progress = (text: string) => process.stdout.write(`  ${text}\n`);
const dataDir = mkdtempSync(join(tmpdir(), 'saga-bench-catalog-'));
const logDir = resolve(root, '.data/bench/catalog-logs');
rmSync(logDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });
const project = 'saga-commerce-bench';
const ports = {
  gateway: await freePort(), pubsub: await freePort(), firestore: await freePort(), smtp: await freePort(), mailWeb: await freePort(),
  payment: await freePort(), sms: await freePort(), storage: await freePort(), postgres: await freePort(),
  functions: Object.fromEntries(await Promise.all(functionNames.map(async (fn) => [fn, await freePort()]))) as Record<FunctionName, number>,
};
const products = Number(process.env.BENCH_PRODUCTS ?? 10_000);
let seededSeconds = 0;
const stack = await startStack({
  ports, project, dataDir, logDir, databaseName: 'saga', seedProducts: products, seedImages: false, logLevel: 'warn',
  // The bench stores the snapshot itself after seeding; the stack's instance storing one too would land mid-measurement.
  functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '10000000', CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: '0' },
  onProgress: (step, done) => {
    if (done && step.startsWith('seeding')) seededSeconds = Math.round(done.ms / 100) / 10;
    if (done) progress(`${step} (${(done.ms / 1000).toFixed(1)} s)`);
  },
});
try {
  const result = await benchCatalog({
    api: stack.urls.api, firestore: createFirestore(project), products, progress,
    functionEnv: stack.env, logDir, runDir: join(dataDir, 'run'), seededSeconds,
  });
  console.log(`\n${catalogMarkdown(result, stack.env.REDIS_URL ? 'Redis' : 'in memory')}`);
  writeFileSync(resolve(root, '.data/bench/catalog.json'), JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2));
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
