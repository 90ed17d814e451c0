import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { functionNames } from '../schemas/index.ts';
import { parseConfig } from '../functions/lib/config.ts';
import { createDb } from '../functions/lib/db/knex.ts';
import { createFirestore, collections } from '../functions/lib/firestore.ts';
import { updatedAtCommit } from '../functions/lib/catalog.ts';
import { createStripeProvider } from '../functions/lib/payments/index.ts';
import { byName, processTree } from './bench/stats.ts';
import { benchFailures, failuresMarkdown, type FailureResult } from './bench/failures.ts';
import { benchIntake, intakeMarkdown, type IntakeBench } from './bench/intake.ts';
import { BASELINE_HOPS, baselineStore, benchSaga, sagaMarkdown, sameWorkEntry, startBaseline, type SagaBench } from './bench/saga.ts';
import { loadOrCreateIssuerKey, signIdToken } from './stack/dev-issuer.ts';
import { freePort, listening, type Service } from './stack/process.ts';
import { startFunctionProcess, startStack } from './stack/stack.ts';
import { benchStackPlace } from './bench/stack-place.ts';
import { builtEntry, bundle, stopBundler } from './build.ts';
import { benchColdStarts, coldStartMarkdown } from './bench/cold-start.ts';
import { catalogOnItsOwnStack } from './bench/catalog-run.ts';

const SECTIONS = ['saga', 'cold', 'catalog', 'failures', 'intake'] as const;
const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = args.quick!;
/** `--only saga,intake` runs some sections (to study one); it prints them and leaves docs/performance.md alone. */
const only = args.only?.split(',') ?? null;
for (const s of only ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only ${s}: the sections are ${SECTIONS.join(', ')}`);
const runs = (section: (typeof SECTIONS)[number]) => !only || only.includes(section);
const root = resolve(import.meta.dirname, '..');
/** What each mode measures: `--quick` the same tables with fewer samples (under 3 minutes), the full run for the record. */
const plan = quick
  ? { levels: [{ concurrency: 1, sagas: 12 }, { concurrency: 10, sagas: 40 }, { concurrency: 50, sagas: 80 }], warmup: 4, coldRuns: 2, intake: 200, catalogProducts: 2000, catalogSamples: 20, failures: false }
  : { levels: [{ concurrency: 1, sagas: 100 }, { concurrency: 10, sagas: 200 }, { concurrency: 50, sagas: 500 }], warmup: 20, coldRuns: 7, intake: 2000, catalogProducts: Number(process.env.BENCH_PRODUCTS ?? 100_000), catalogSamples: 100, failures: true };
const PRODUCTS = 60;
const profiled = (process.env.BENCH_PROFILE ?? '').split(',').filter(Boolean);
const profileFlags = (fn: string) => (profiled.includes(fn) ? ['--cpu-prof', `--cpu-prof-dir=${resolve(root, '.data/bench/profiles', fn)}`] : undefined);
for (const fn of profiled) {
  if (!([...functionNames, ...BASELINE_HOPS.map((h) => h.fn)] as string[]).includes(fn)) throw new Error(`BENCH_PROFILE names "${fn}", which is neither a function nor a baseline hop (${BASELINE_HOPS.map((h) => h.fn).join(', ')})`);
}
const benchStarted = performance.now();
const progress = (text: string) => process.stdout.write(`  [${Math.round((performance.now() - benchStarted) / 1000)} s] ${text}\n`);

const { dataDir, logDir, ports } = await benchStackPlace('bench', 'logs');
const project = 'saga-commerce-bench';
console.log(`Benchmark${quick ? ' (--quick: fewer samples, same tables)' : ''}: starting the local stack (embedded PostgreSQL, log level warn)…`);
const stack = await startStack({
  // Only the saga's products: the catalog section seeds its thousands into a stack of its own, after this one stops.
  ports, project, dataDir, logDir, databaseName: 'saga', seedProducts: PRODUCTS, seedImages: false, logLevel: 'warn', faultProxies: false,
  // The jobs run as often as in production (every minute; reconciliation hourly), not every few seconds as in development.
  scheduleEverySeconds: { 'outbox-sweep': 60, 'saga-watchdog': 60, 'saga-reconcile': 3600 },
  // BENCH_PROFILE=orders-api,order-confirm: those functions write a CPU profile (open it in Chrome's DevTools) when the bench ends.
  nodeFlagsOf: Object.fromEntries(functionNames.flatMap((fn) => (profileFlags(fn) ? [[fn, profileFlags(fn)!]] : []))),
  // Fifty benchmark customers place every order: quotas stay on (their cost is measured) but out of reach.
  functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '10000000', RATE_LIMIT_ORDER_PER_MINUTE: '10000000', MAX_OPEN_ORDERS_PER_CUSTOMER: '1000000', CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: '0' },
  ...((await listening(6379)) ? { redisUrl: 'redis://127.0.0.1:6379' } : {}),
  onProgress: (step, done) => done && progress(`${step} (${(done.ms / 1000).toFixed(1)} s)`),
});
const extra: Service[] = [];
let memory: { name: string; mib: number }[] = [];
let results: { saga: SagaBench | null; coldStarts: Awaited<ReturnType<typeof benchColdStarts>> | null; intake: IntakeBench | null; failures: FailureResult | null } = { saga: null, coldStarts: null, intake: null, failures: null };
/** Runs one section of the bench with a heading on the terminal, and prints its table when done. */
async function section<T>(title: string, markdown: (result: T) => string, run: () => Promise<T>): Promise<T> {
  progress(title);
  const result = await run();
  console.log(`\n${markdown(result)}`);
  return result;
}
const pubsub = new PubSub({ projectId: project });
try {
  // Plenty of stock everywhere, so every benchmark saga takes the happy path.
  const fs = createFirestore(project);
  const batch = fs.batch();
  for (let i = 1; i <= PRODUCTS; i++) batch.set(fs.collection(collections.stock).doc(`p-${String(i).padStart(5, '0')}`), { available: 10_000_000, updatedAt: updatedAtCommit() });
  await batch.commit();
  await fs.terminate();

  // The baseline keeps its rows and documents apart (a database and a Firestore project of its own, on the same
  // servers, with the same schema and catalog), so the saga's scheduled jobs never take its orders for theirs.
  progress('starting the same-work baseline (7 functions) and the bare INSERT handler');
  const baselineEnv = await baselineStore({ adminUrl: stack.databaseUrl, project: `${project}-baseline`, products: PRODUCTS });
  const sameWork = await bundle('bench-same-work', sameWorkEntry(root));
  const bareSource = await bundle('bench-bare-insert', join(root, 'scripts/bench/bare-insert.ts'));
  await stopBundler();
  const pidDir = join(dataDir, 'run');
  const baseline = await startBaseline({ pubsub, project, source: sameWork, env: { ...stack.env, ...baselineEnv }, logDir, pidDir, nodeFlagsOf: profileFlags });
  extra.push(...baseline.services);
  const barePort = await freePort();
  extra.push(await startFunctionProcess({ name: 'bare-insert', source: bareSource, signature: 'http', port: barePort, env: stack.env, logDir, pidDir }));

  const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signIdToken(key, { sub: `bench-${i}`, issuer: stack.issuer, audience: stack.audience, expiresIn: '2h' })));
  const token = tokens[0]!;
  const ordersUrl = stack.urls.functions['orders-api'];

  const saga: SagaBench | null = runs('saga')
    ? await section('1. the saga beside the same-work baseline', sagaMarkdown, () =>
        benchSaga({ pubsub, ordersUrl, baselineUrl: baseline.url, tokens, products: PRODUCTS, levels: plan.levels, warmup: plan.warmup, progress }))
    : null;
  const coldStarts = runs('cold')
    ? await section('2. cold starts of every function beside a bare function', coldStartMarkdown, () =>
        benchColdStarts({ stack, project, logDir, pubsub, progress, runs: plan.coldRuns, variants: [{ label: 'bundles', entry: builtEntry }] }))
    : null;
  const failures: FailureResult | null = plan.failures && runs('failures')
    ? await section('a failure-heavy mix (full run only)', failuresMarkdown, () =>
        benchFailures({
          api: stack.urls.api,
          token,
          pubsub,
          firestore: createFirestore(project),
          db: createDb(parseConfig({ ...stack.directEnv, DB_POOL_MAX: '4' })),
          provider: createStripeProvider({ baseUrl: stack.urls.payment, apiKey: 'sk_test_bench', timeoutMs: 5000, attempts: 3, breaker: { consecutiveFailures: 50, halfOpenAfterMs: 1000 } }),
          mailWeb: stack.urls.mailWeb,
          levels: [{ concurrency: 10, orders: 200 }, { concurrency: 50, orders: 400 }],
          progress,
        }))
    : null;
  // Last: the orders it places are left pending (their sagas are held back).
  const intake: IntakeBench | null = runs('intake')
    ? await section('4. order intake beside a bare INSERT handler', intakeMarkdown, () =>
        benchIntake({
          pubsub, ordersUrl, bareUrl: `http://127.0.0.1:${barePort}`, sameWorkUrl: baseline.url, tokens, concurrency: 50, requests: plan.intake, progress,
          pausedSubscriptions: ['payment-authorize.order.placed', 'saga-audit.order.placed', 'base-authorize.order.placed', 'base-audit.order.placed'],
        }))
    : null;
  const stackProcesses = processTree(process.pid);
  memory = [...byName(stackProcesses, (p) => p.pssMiB)].map(([name, mib]) => ({ name, mib: Math.round(mib) })).sort((a, b) => b.mib - a.mib);
  results = { saga, coldStarts, intake, failures };
} finally {
  await pubsub.close();
  await Promise.all(extra.map((s) => s.stop()));
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const catalog = runs('catalog')
  ? await section(`3. the catalog at ${plan.catalogProducts} products (a stack of its own)`, (c) => c.markdown, () =>
      catalogOnItsOwnStack({ products: plan.catalogProducts, samples: plan.catalogSamples, progress }))
  : null;
if (only) console.log(`\n--only ${only.join(',')}: docs/performance.md left as it was`);

const summary = {
  measuredAt: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  seconds: Math.round((performance.now() - benchStarted) / 1000),
  machine: { node: process.version, cpus: cpus().length },
  ...results,
  catalog: catalog?.result ?? null,
  pssMiBByProcess: memory,
};
const doc = `# Performance

Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${summary.measuredAt.slice(0, 10)} (Node ${summary.machine.node}, ${summary.machine.cpus} cores) in ${summary.seconds} s.
Every number stands beside a baseline measured in the same run, because these machines are noisy; \`npm run bench\`
takes more samples than \`npm run bench -- --quick\` (under 3 minutes) and rewrites this file either way.

${results.saga ? sagaMarkdown(results.saga) : ''}
${results.coldStarts ? coldStartMarkdown(results.coldStarts) : ''}
${catalog ? catalog.markdown : ''}
${results.intake ? intakeMarkdown(results.intake) : ''}${results.failures ? `\n${failuresMarkdown(results.failures)}` : ''}
## Memory

Proportional set size of every process of the saga's local stack at the end of its sections (MiB): ${memory.map((p) => `${p.name} ${p.mib}`).join(', ')}.

<details><summary>Raw results (JSON)</summary>

\`\`\`json
${JSON.stringify(summary, null, 2)}
\`\`\`
</details>
`;
mkdirSync(resolve(root, '.data/bench'), { recursive: true });
writeFileSync(resolve(root, '.data/bench/results.json'), JSON.stringify(summary, null, 2));
if (!only) {
  writeFileSync(resolve(root, 'docs/performance.md'), doc);
  console.log(`\nWrote docs/performance.md and .data/bench/results.json in ${summary.seconds} s`);
}
