import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { functionNames, type FunctionName } from '../schemas/index.ts';
import { parseConfig } from '../functions/lib/config.ts';
import { createDb } from '../functions/lib/db/knex.ts';
import { createFirestore, collections } from '../functions/lib/firestore.ts';
import { updatedAtCommit } from '../functions/lib/catalog.ts';
import { createStripeProvider } from '../functions/lib/payments/index.ts';
import { byName, cpuPer, processTree } from './bench/stats.ts';
import { arrivals, load, type Result } from './bench/load.ts';
import { benchFailures, failuresMarkdown } from './bench/failures.ts';
import { loadOrCreateIssuerKey, signIdToken } from './stack/dev-issuer.ts';
import { freePort, listening, type Service } from './stack/process.ts';
import { startFunctionProcess, startStack } from './stack/stack.ts';
import { bundle, stopBundler } from './build.ts';
import { benchCatalog, catalogMarkdown } from './bench/catalog.ts';

const root = resolve(import.meta.dirname, '..');
const LEVELS = [
  { concurrency: 1, sagas: 100 },
  { concurrency: 10, sagas: 200 },
  { concurrency: 50, sagas: 500 },
].filter((l) => !process.env.BENCH_CONCURRENCY || process.env.BENCH_CONCURRENCY.split(',').includes(String(l.concurrency)));
const WARMUP = 20;
const NOOP_TOPICS = ['bench.hop1', 'bench.hop2', 'bench.hop3', 'bench.hop4', 'bench.hop5', 'bench.done'];
const PRODUCTS = 60;

const progress = (text: string) => process.stdout.write(`  ${text}\n`);

const dataDir = mkdtempSync(join(tmpdir(), 'saga-bench-'));
const logDir = resolve(root, '.data/bench/logs');
rmSync(logDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });
const project = 'saga-commerce-bench';
const port = () => freePort();
const ports = {
  gateway: await port(), pubsub: await port(), firestore: await port(), smtp: await port(), mailWeb: await port(),
  payment: await port(), sms: await port(), storage: await port(), postgres: await port(),
  functions: Object.fromEntries(await Promise.all(functionNames.map(async (fn) => [fn, await port()]))) as Record<FunctionName, number>,
};
console.log('Starting the local stack for the benchmark (embedded PostgreSQL, log level warn)…');
const stack = await startStack({
  ports, project, dataDir, logDir, databaseName: 'saga', seedProducts: PRODUCTS, logLevel: 'warn',
  // One benchmark customer places every order: quotas stay on (their cost is measured) but out of reach.
  functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '10000000', RATE_LIMIT_ORDER_PER_MINUTE: '10000000', MAX_OPEN_ORDERS_PER_CUSTOMER: '1000000', CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS: '0' },
  ...((await listening(6379)) ? { redisUrl: 'redis://127.0.0.1:6379' } : {}),
  onProgress: (step, done) => done && progress(`${step} (${(done.ms / 1000).toFixed(1)} s)`),
});
const relays: Service[] = [];
const pubsub = new PubSub({ projectId: project });
try {
  // Plenty of stock everywhere, so every benchmark saga takes the happy path.
  const fs = createFirestore(project);
  const batch = fs.batch();
  for (let i = 1; i <= PRODUCTS; i++) batch.set(fs.collection(collections.stock).doc(`p-${String(i).padStart(5, '0')}`), { available: 10_000_000, updatedAt: updatedAtCommit() });
  await batch.commit();
  await fs.terminate();

  progress('starting the no-op baseline: 5 functions that only republish, on the same emulator');
  for (const t of NOOP_TOPICS) await pubsub.createTopic(t);
  const relaySource = await bundle('noop-relay', join(root, 'scripts/bench/noop-relay.ts'));
  await stopBundler();
  for (let i = 0; i < NOOP_TOPICS.length - 1; i++) {
    const name = `noop-${i + 1}`;
    const relayPort = await port();
    relays.push(
      await startFunctionProcess({
        name, source: relaySource, signature: 'cloudevent', port: relayPort, logDir,
        pidDir: join(dataDir, 'run'), env: { ...stack.env, NEXT_TOPIC: NOOP_TOPICS[i + 1]! },
      }),
    );
    await pubsub.topic(NOOP_TOPICS[i]!).createSubscription(`${name}.push`, {
      pushConfig: { pushEndpoint: `http://127.0.0.1:${relayPort}/projects/${project}/topics/${NOOP_TOPICS[i]}` },
      ackDeadlineSeconds: 30,
    });
  }
  await pubsub.topic('bench.done').createSubscription('bench.done.pull');
  await pubsub.topic('notification.sent').createSubscription('bench.notification.sent');

  const noopDone = arrivals(pubsub, 'bench.done.pull', (m) => m.attributes.key);
  const sagaDone = arrivals(pubsub, 'bench.notification.sent', (m) =>
    m.attributes.type === 'notification.sent' && (JSON.parse(m.data.toString()) as { data: { channel: string } }).data.channel === 'email'
      ? m.attributes.correlationId
      : undefined,
  );
  const first = pubsub.topic(NOOP_TOPICS[0]!, { batching: { maxMessages: 1 } });
  let noopSeq = 0;
  const noopOnce = async () => {
    const key = `n${noopSeq++}`;
    await first.publishMessage({ data: Buffer.from(JSON.stringify({ key, padding: 'x'.repeat(600) })), attributes: { key } });
    const accepted = performance.now();
    return (await noopDone.wait(key)) - accepted;
  };
  const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
  const token = await signIdToken(key, { sub: 'bench', issuer: stack.issuer, audience: stack.audience, expiresIn: '2h' });
  const sagaOnce = async (i: number) => {
    const productId = `p-${String((i % PRODUCTS) + 1).padStart(5, '0')}`;
    const response = await fetch(`${stack.urls.api}/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ items: [{ productId, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: `bench${i}@example.com` } }),
    });
    if (response.status !== 202) throw new Error(`order rejected: ${response.status} ${await response.text()}`);
    const accepted = performance.now();
    const { id } = (await response.json()) as { id: string };
    return (await sagaDone.wait(id)) - accepted;
  };

  progress(`warming up (${WARMUP} sagas and ${WARMUP} no-op chains)`);
  await load(5, WARMUP, noopOnce);
  await load(5, WARMUP, sagaOnce);

  const rows: { concurrency: number; saga: Result; noop: Result }[] = [];
  const cpu: Record<'saga' | 'noop', Record<string, number>> = { saga: {}, noop: {} };
  const measured = async (kind: 'saga' | 'noop', level: (typeof LEVELS)[number], once: (i: number) => Promise<number>) => {
    const before = processTree(process.pid);
    const result = await load(level.concurrency, level.sagas, once);
    if (level.concurrency === 50) cpu[kind] = Object.fromEntries([...cpuPer(before, processTree(process.pid), level.sagas)].filter(([, ms]) => ms >= 0.5));
    progress(`concurrency ${level.concurrency}: ${kind === 'saga' ? 'saga       ' : 'no-op chain'} p50 ${result.p50Ms} ms, ${result.perSecond}/s`);
    return result;
  };
  for (const level of LEVELS) {
    const noop = await measured('noop', level, noopOnce);
    const saga = await measured('saga', level, sagaOnce);
    rows.push({ concurrency: level.concurrency, saga, noop });
  }
  const relayPids = new Set(relays.flatMap((r) => processTree(r.child.pid!).map((p) => p.pid)));
  const stackProcesses = processTree(process.pid).filter((p) => !relayPids.has(p.pid));
  const stackMiB = Math.round(stackProcesses.reduce((sum, p) => sum + p.pssMiB, 0));
  const topProcesses = [...byName(stackProcesses, (p) => p.pssMiB)]
    .map(([name, mib]) => ({ name, mib: Math.round(mib) }))
    .sort((a, b) => b.mib - a.mib);
  const emulatorCpu = (kind: 'saga' | 'noop') =>
    Math.round(Object.entries(cpu[kind]).filter(([name]) => name.includes('emulator')).reduce((a, [, ms]) => a + ms, 0) * 10) / 10;
  const cpuTotal = (kind: 'saga' | 'noop') => Math.round(Object.values(cpu[kind]).reduce((a, b) => a + b, 0));
  await Promise.all([noopDone.close(), sagaDone.close()]);

  const ratio = (concurrency: number, of: (r: Result) => number) => {
    const row = rows.find((r) => r.concurrency === concurrency);
    return row ? Math.round((of(row.saga) / of(row.noop)) * 100) / 100 : null;
  };
  const summary = {
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
    rows,
    ratios: {
      p50AtConcurrency1: ratio(1, (r) => r.p50Ms),
      throughputAtConcurrency50: ratio(50, (r) => r.perSecond),
    },
    targets: { p50AtConcurrency1: '≤ 1.2', throughputAtConcurrency50: '≥ 0.8', stackPssMiB: '< 2048' },
    stackPssMiB: stackMiB,
    pssMiBByProcess: topProcesses,
    cpuMsPerUnitAtConcurrency50: cpu,
  };
  const table = [
    '| concurrency | saga p50 | saga p99 | saga/s | no-op p50 | no-op p99 | no-op/s | p50 ratio | throughput ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.concurrency} | ${r.saga.p50Ms} ms | ${r.saga.p99Ms} ms | ${r.saga.perSecond} | ${r.noop.p50Ms} ms | ${r.noop.p99Ms} ms | ${r.noop.perSecond} | ${(r.saga.p50Ms / r.noop.p50Ms).toFixed(2)} | ${(r.saga.perSecond / r.noop.perSecond).toFixed(2)} |`,
    ),
  ].join('\n');
  console.log(`\n${table}\n`);
  console.log(`p50 at concurrency 1: ${summary.ratios.p50AtConcurrency1}× the no-op chain (target ≤ 1.2)`);
  console.log(`sagas/s at concurrency 50: ${summary.ratios.throughputAtConcurrency50}× the no-op chain (target ≥ 0.8)`);
  console.log(`memory (PSS) of the whole stack: ${stackMiB} MiB in ${stackProcesses.length} processes (target < 2048)`);
  console.log(`by process: ${topProcesses.map((p) => `${p.name} ${p.mib}`).join(', ')} (MiB)`);
  console.log(`CPU per saga at concurrency 50: ${cpuTotal('saga')} ms; per no-op chain: ${cpuTotal('noop')} ms (2 cores)`);

  const failureLevels = [
    { concurrency: 10, orders: 200 },
    { concurrency: 50, orders: 400 },
  ].filter((l) => !process.env.BENCH_CONCURRENCY || process.env.BENCH_CONCURRENCY.split(',').includes(String(l.concurrency)));
  const failures = failureLevels.length === 0 ? null : await benchFailures({
    api: stack.urls.api,
    token,
    pubsub,
    firestore: createFirestore(project),
    db: createDb(parseConfig({ ...stack.directEnv, DB_POOL_MAX: '4' })),
    provider: createStripeProvider({ baseUrl: stack.urls.payment, apiKey: 'sk_test_bench', timeoutMs: 5000, attempts: 3, breaker: { consecutiveFailures: 50, halfOpenAfterMs: 1000 } }),
    mailWeb: stack.urls.mailWeb,
    levels: failureLevels,
    progress,
  });
  if (failures) console.log(`\n${failuresMarkdown(failures)}`);

  const catalogResult = LEVELS.length === 3 || process.env.BENCH_CATALOG
    ? await benchCatalog({
        api: stack.urls.api, firestore: createFirestore(project), products: Number(process.env.BENCH_PRODUCTS ?? 10_000), progress,
        functionEnv: stack.env, logDir, runDir: join(dataDir, 'run'),
      })
    : null;
  const doc = `# Performance

Measured by \`npm run bench\` on ${summary.measuredAt.slice(0, 10)} (Node ${summary.machine.node}, ${summary.machine.cpus} cores).
This file is rewritten by every run; numbers are ratios against a baseline measured in the same run, because these
machines are noisy.

## Order saga end to end

Latency is from the \`202 Accepted\` of \`POST /v1/orders\` to the moment the \`notification.sent\` event of the
confirmation email reaches a pull subscriber: five push hops (order.placed → payment.authorized → inventory.reserved →
payment.captured → order.confirmed) and the notification. The **no-op chain** is the baseline: the same number of hops
through the same Pub/Sub emulator, five functions-framework processes that do nothing but republish, and the same
final pull. (Issue 8 replaces it with a same-work baseline.)
Functions log at \`warn\` during the run. At concurrency 1 each saga starts after a random pause of up to 100 ms:
the emulator polls idle push subscriptions every 100 ms, so one-at-a-time latency mostly measures where in that
cycle each hop lands, and varies from run to run by more than the handlers' own time.

${table}

- p50 at concurrency 1: **${summary.ratios.p50AtConcurrency1}×** the no-op chain (target ≤ 1.2).
- Completed sagas/s at concurrency 50: **${summary.ratios.throughputAtConcurrency50}×** the no-op chain (target ≥ 0.8).
- Memory (proportional set size) of the whole local stack (emulators, PostgreSQL, maildev, 15 functions, gateway and load
  generator) after the run: **${stackMiB} MiB** (target < 2048): ${topProcesses.map((p) => `${p.name} ${p.mib}`).join(', ')} MiB.

## Where the CPU goes at concurrency 50

Both runs are CPU-bound on this machine's two cores. CPU time per completed saga and per no-op chain, by process
(ms), measured over the concurrency-50 run:

| process | per saga | per no-op chain |
|---|---:|---:|
${[...new Set([...Object.keys(cpu.saga), ...Object.keys(cpu.noop)])]
  .sort((a, b) => (cpu.saga[b] ?? 0) - (cpu.saga[a] ?? 0))
  .map((name) => `| ${name} | ${cpu.saga[name] ?? '—'} | ${cpu.noop[name] ?? '—'} |`)
  .join('\n')}
| **total** | **${cpuTotal('saga')}** | **${cpuTotal('noop')}** |

Throughput on a CPU-bound machine is roughly the inverse of CPU per unit of work, so the throughput ratio cannot
exceed about ${(cpuTotal('noop') / Math.max(1, cpuTotal('saga'))).toFixed(2)} here. The two emulators spend
${emulatorCpu('saga')} ms per saga (${emulatorCpu('noop')} ms per no-op chain).

<details><summary>Raw results (JSON)</summary>

\`\`\`json
${JSON.stringify(summary, null, 2)}
\`\`\`
</details>
`;
  const failuresDoc = failures ? `\n${failuresMarkdown(failures)}` : '';
  const catalogDoc = catalogResult ? `\n${catalogMarkdown(catalogResult, stack.env.REDIS_URL ? 'Redis' : 'in memory')}` : '';
  if (catalogResult) console.log(`\n${catalogMarkdown(catalogResult, stack.env.REDIS_URL ? 'Redis' : 'in memory')}`);
  writeFileSync(resolve(root, '.data/bench/results.json'), JSON.stringify({ ...summary, failures, catalog: catalogResult }, null, 2));
  if (LEVELS.length === 3) {
    writeFileSync(resolve(root, 'docs/performance.md'), doc + failuresDoc + catalogDoc);
    console.log('\nWrote docs/performance.md and .data/bench/results.json');
  } else {
    console.log('\nA partial run (BENCH_CONCURRENCY): wrote .data/bench/results.json only');
  }
} finally {
  await pubsub.close();
  await Promise.all(relays.map((r) => r.stop()));
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
