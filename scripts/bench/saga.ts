import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { createDb } from '../../functions/lib/db/knex.ts';
import { migrateLatest } from '../../functions/lib/db/migrations.ts';
import { createFirestore, collections } from '../../functions/lib/firestore.ts';
import { ensureDatabase } from '../stack/postgres.ts';
import { demoCatalog, writeCatalog } from '../seed/catalog.ts';
import { defaultDelivery, functionNames } from '../../schemas/index.ts';
import type { Service } from '../stack/process.ts';
import { freePort } from '../stack/process.ts';
import { startFunctionProcess } from '../stack/stack.ts';
import { arrivals, load, type Result } from './load.ts';
import { cpuPer, processTree } from './stats.ts';

/** The hops of the same-work baseline, in order, with the saga function each one does the work of. */
export const BASELINE_HOPS = [
  { fn: 'base-orders', mirrors: 'orders-api', consumes: null },
  { fn: 'base-authorize', mirrors: 'payment-authorize', consumes: 'order.placed' },
  { fn: 'base-reserve', mirrors: 'inventory-reserve', consumes: 'payment.authorized' },
  { fn: 'base-capture', mirrors: 'payment-capture', consumes: 'inventory.reserved' },
  { fn: 'base-confirm', mirrors: 'order-confirm', consumes: 'payment.captured' },
  { fn: 'base-notify', mirrors: 'notification-send', consumes: 'order.confirmed' },
  { fn: 'base-audit', mirrors: 'saga-audit', consumes: null },
] as const;

/** Every event of a happy saga: each goes to its next hop and to the audit, as in the saga's topology. */
const EVENTS = ['order.placed', 'payment.authorized', 'inventory.reserved', 'payment.captured', 'order.confirmed', 'notification.sent'] as const;

export interface SagaRow {
  concurrency: number;
  saga: Result;
  baseline: Result;
}

export interface SagaBench {
  rows: SagaRow[];
  /** CPU ms per completed saga, by process, at each concurrency. */
  cpu: Record<number, { saga: Record<string, number>; baseline: Record<string, number> }>;
}

/**
 * The baseline's own stores on the stack's servers: a database migrated to the saga's schema, and a Firestore
 * project holding the same demo catalog with plenty of stock. Returns the environment that points the baseline there.
 */
export async function baselineStore(options: { adminUrl: string; project: string; products: number }): Promise<Record<string, string>> {
  const url = await ensureDatabase(options.adminUrl, 'saga_baseline');
  const db = createDb({ DATABASE_URL: url, DB_USER: '', DB_NAME: '', DB_IP_TYPE: 'PRIVATE', DB_IAM_AUTH: false, DB_POOL_MAX: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  const fs = createFirestore(options.project);
  try {
    const catalog = demoCatalog(options.products);
    await writeCatalog(fs, catalog, {});
    const batch = fs.batch();
    for (const p of catalog) batch.set(fs.collection(collections.stock).doc(p.id), { available: 10_000_000 });
    await batch.commit();
  } finally {
    await fs.terminate();
  }
  return { DATABASE_URL: url, BASELINE_FIRESTORE_PROJECT: options.project };
}

/**
 * Starts the same-work baseline beside a running stack: its seven functions (one bundle, `same-work.ts`) and the
 * `base.*` topics with push subscriptions configured as the saga's are (ack deadline, retry policy, dead-letter
 * topic), plus a pull subscription on `base.notification.sent` where the bench sees each chain end.
 */
export async function startBaseline(options: {
  pubsub: PubSub;
  project: string;
  source: string;
  env: Record<string, string>;
  logDir: string;
  pidDir: string;
  /** Node.js flags for some of its functions (a CPU profile). */
  nodeFlagsOf?: (fn: string) => string[] | undefined;
}): Promise<{ url: string; services: Service[] }> {
  const { pubsub, project } = options;
  const services: Service[] = [];
  await pubsub.createTopic('base.dead-letters');
  for (const e of EVENTS) await pubsub.createTopic(`base.${e}`);
  const ports = new Map<string, number>();
  for (const hop of BASELINE_HOPS) {
    const port = await freePort();
    ports.set(hop.fn, port);
    services.push(
      await startFunctionProcess({
        name: hop.fn, source: options.source, signature: hop.fn === 'base-orders' ? 'http' : 'cloudevent', port,
        env: options.env, logDir: options.logDir, pidDir: options.pidDir,
        ...(options.nodeFlagsOf?.(hop.fn) ? { nodeFlags: options.nodeFlagsOf(hop.fn)! } : {}),
      }),
    );
  }
  const push = (fn: string, topic: string) =>
    pubsub.topic(`base.${topic}`).createSubscription(`${fn}.${topic}`, {
      pushConfig: { pushEndpoint: `http://127.0.0.1:${ports.get(fn)}/projects/${project}/topics/base.${topic}` },
      ackDeadlineSeconds: defaultDelivery.ackDeadlineSeconds,
      retryPolicy: { minimumBackoff: { seconds: defaultDelivery.retry.minimumBackoffSeconds }, maximumBackoff: { seconds: defaultDelivery.retry.maximumBackoffSeconds } },
      deadLetterPolicy: { deadLetterTopic: `projects/${project}/topics/base.dead-letters`, maxDeliveryAttempts: defaultDelivery.maxDeliveryAttempts },
    });
  for (const hop of BASELINE_HOPS) if (hop.consumes) await push(hop.fn, hop.consumes);
  for (const e of EVENTS) await push('base-audit', e);
  await pubsub.topic('base.notification.sent').createSubscription('bench.base.notification.sent');
  return { url: `http://127.0.0.1:${ports.get('base-orders')}`, services };
}

/**
 * Section 1 of the bench: the saga against the same-work baseline, one level after the other, each level
 * baseline first. A saga is timed from its 202 to the arrival of its confirmation email's `notification.sent` on a
 * pull subscription; CPU is sampled by process over each level.
 */
export async function benchSaga(options: {
  pubsub: PubSub;
  /** orders-api and base-orders, called directly (no gateway in front of either). */
  ordersUrl: string;
  baselineUrl: string;
  /** One token per customer: concurrent orders come from different customers, as in a shop. */
  tokens: readonly string[];
  products: number;
  levels: readonly { concurrency: number; sagas: number }[];
  warmup: number;
  progress: (line: string) => void;
}): Promise<SagaBench> {
  const { pubsub, tokens } = options;
  await pubsub.topic('notification.sent').createSubscription('bench.notification.sent');
  const endOf = (m: { attributes: Record<string, string>; data: Buffer }) =>
    (JSON.parse(m.data.toString()) as { data: { channel: string } }).data.channel === 'email' ? m.attributes.correlationId : undefined;
  const done = { saga: arrivals(pubsub, 'bench.notification.sent', endOf), baseline: arrivals(pubsub, 'bench.base.notification.sent', endOf) };
  const once = (kind: 'saga' | 'baseline') => async (i: number) => {
    const productId = `p-${String((i % options.products) + 1).padStart(5, '0')}`;
    const response = await fetch(`${kind === 'saga' ? options.ordersUrl : options.baselineUrl}/v1/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens[i % tokens.length]}` },
      body: JSON.stringify({ items: [{ productId, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: `bench${i}@example.com` } }),
    });
    if (response.status !== 202) throw new Error(`${kind}: order rejected: ${response.status} ${await response.text()}`);
    const accepted = performance.now();
    const { id } = (await response.json()) as { id: string };
    return (await done[kind].wait(id)) - accepted;
  };
  try {
    options.progress(`warming up (${options.warmup} sagas and ${options.warmup} baseline chains)`);
    await load(5, options.warmup, once('baseline'));
    await load(5, options.warmup, once('saga'));
    const rows: SagaRow[] = [];
    const cpu: SagaBench['cpu'] = {};
    for (const level of options.levels) {
      const measured = async (kind: 'saga' | 'baseline') => {
        const before = processTree(process.pid);
        const result = await load(level.concurrency, level.sagas, once(kind));
        const used = Object.fromEntries([...cpuPer(before, processTree(process.pid), level.sagas)].filter(([, ms]) => ms >= 0.1));
        options.progress(`concurrency ${level.concurrency}: ${kind.padEnd(8)} p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.perSecond}/s`);
        return { result, used };
      };
      const baseline = await measured('baseline');
      const saga = await measured('saga');
      rows.push({ concurrency: level.concurrency, saga: saga.result, baseline: baseline.result });
      cpu[level.concurrency] = { saga: saga.used, baseline: baseline.used };
    }
    return { rows, cpu };
  } finally {
    await Promise.all([done.saga.close(), done.baseline.close()]);
    await Promise.all(['bench.notification.sent', 'bench.base.notification.sent'].map((s) => pubsub.subscription(s).delete()));
  }
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** CPU by process, a saga function beside the baseline hop that does its work, the shared processes by name. */
function cpuRows(cpu: { saga: Record<string, number>; baseline: Record<string, number> }): { name: string; saga: number | null; baseline: number | null }[] {
  const twinOf = new Map<string, string>(BASELINE_HOPS.map((h) => [h.mirrors, h.fn]));
  const hops = new Set<string>(BASELINE_HOPS.map((h) => h.fn));
  const names = new Set([...Object.keys(cpu.saga), ...Object.keys(cpu.baseline)].filter((n) => !hops.has(n)));
  // A process's CPU during the other side's run (a scheduled job, a late delivery) is the cost of that side's
  // neighbours, not of its work: each column counts only its own side's functions and the shared servers.
  return [...names]
    .map((name) => {
      const twin = twinOf.get(name);
      if (twin) return { name: `${name} / ${twin}`, saga: cpu.saga[name] ?? null, baseline: cpu.baseline[twin] ?? null };
      return { name, saga: cpu.saga[name] ?? null, baseline: isSagaFunction(name) ? null : (cpu.baseline[name] ?? null) };
    })
    .sort((a, b) => (b.saga ?? 0) - (a.saga ?? 0));
}

const isSagaFunction = (name: string) => (functionNames as readonly string[]).includes(name);

/** Each saga function's CPU per order over its baseline hop's, largest first. */
export function overheads(cpu: { saga: Record<string, number>; baseline: Record<string, number> }): { fn: string; ms: number }[] {
  return BASELINE_HOPS.filter((h) => cpu.saga[h.mirrors] !== undefined && cpu.baseline[h.fn] !== undefined)
    .map((h) => ({ fn: h.mirrors, ms: Math.round((cpu.saga[h.mirrors]! - cpu.baseline[h.fn]!) * 10) / 10 }))
    .sort((a, b) => b.ms - a.ms);
}

/** CPU ms per unit of one side: its own functions and the shared servers. */
export const sideTotal = (cpu: { saga: Record<string, number>; baseline: Record<string, number> }, side: 'saga' | 'baseline') =>
  Math.round(cpuRows(cpu).reduce((sum, r) => sum + (r[side] ?? 0), 0) * 10) / 10;

/** Section 1 of docs/performance.md. */
export function sagaMarkdown(bench: SagaBench): string {
  const top = Math.max(...bench.rows.map((r) => r.concurrency));
  const cpu = bench.cpu[top]!;
  const fmt = (n: number | null) => (n === null ? '—' : String(n));
  return `## 1. Our overhead: the saga beside a same-work baseline

Each order goes through the same hops either way: \`POST /v1/orders\` straight to the function (no gateway), then
order.placed → payment.authorized → inventory.reserved → payment.captured → order.confirmed → notification.sent,
each pushed by the same Pub/Sub emulator, every event also pushed to an audit function. Latency is from the
\`202 Accepted\` to the arrival of the confirmation email's \`notification.sent\` on a pull subscription.
The **baseline** (\`scripts/bench/same-work.ts\`) makes in each hop the calls the saga's function makes, in the
same order, against the same PostgreSQL, Redis, emulators, payment simulator and SMTP server (the PostgreSQL
statements are the saga's own, copied from PostgreSQL's statement log), with the bare clients (\`pg\`, the
Firestore, Pub/Sub and Stripe clients, nodemailer, ioredis, jose): no step wrapper, zod, pino, tracing, knex or
retry policies. Functions log at \`warn\`; both sides reach their dependencies directly (no fault proxies).

| concurrency | saga p50 | saga p99 | sagas/s | baseline p50 | baseline p99 | baseline/s | p50 ratio (≤ 1.2) | p99 ratio (≤ 1.2) | throughput ratio (≥ 0.8) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${bench.rows
  .map(
    (r) =>
      `| ${r.concurrency} | ${r.saga.p50Ms} ms | ${r.saga.p99Ms} ms | ${r.saga.perSecond} | ${r.baseline.p50Ms} ms | ${r.baseline.p99Ms} ms | ${r.baseline.perSecond} | ${ratio(r.saga.p50Ms, r.baseline.p50Ms)} | ${ratio(r.saga.p99Ms, r.baseline.p99Ms)} | ${ratio(r.saga.perSecond, r.baseline.perSecond)} |`,
  )
  .join('\n')}

CPU time per completed saga and per baseline chain at concurrency ${top}, by process (ms; the bench process runs
the load, the payment simulator, the SMS sink and the local telemetry collector):

| process (saga / baseline) | saga | baseline |
|---|---:|---:|
${cpuRows(cpu).map((r) => `| ${r.name} | ${fmt(r.saga)} | ${fmt(r.baseline)} |`).join('\n')}
| **total** | **${sideTotal(cpu, 'saga')}** | **${sideTotal(cpu, 'baseline')}** |

The saga spends **${ratio(sideTotal(cpu, 'saga'), sideTotal(cpu, 'baseline'))}×** the baseline's CPU per order; the
functions that add most over the hop doing their work: ${overheads(cpu)
    .slice(0, 3)
    .map((o) => `${o.fn} +${o.ms} ms`)
    .join(', ')}. Where it goes (CPU profiles of both sides, \`BENCH_PROFILE=payment-authorize,base-authorize npm run
bench -- --quick --only saga\`) and what was removed: [docs/design/saga-overhead.md](design/saga-overhead.md).
`;
}

/** Where the bench's baseline bundle is built from. */
export const sameWorkEntry = (root: string) => join(root, 'scripts/bench/same-work.ts');
