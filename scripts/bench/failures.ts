import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Knex } from 'knex';
import { updatedAtCommit } from '../../functions/lib/catalog.ts';
import { collections } from '../../functions/lib/firestore.ts';
import type { PaymentProvider } from '../../functions/lib/payments/index.ts';
import { reconcile } from '../../functions/lib/reconcile.ts';
import { arrivals } from './load.ts';
import { percentile } from './stats.ts';

/** What a benchmark order is made to meet. */
type Kind = 'approved' | 'declined' | 'out_of_stock' | 'transient';

/** Of every 20 orders: 4 declined (20 %), 2 out of stock after authorization (10 %), 1 transient provider error (5 %). */
export const kindOf = (i: number): Kind => {
  const r = i % 20;
  return r < 4 ? 'declined' : r < 6 ? 'out_of_stock' : r < 7 ? 'transient' : 'approved';
};

const methodOf: Record<Kind, string> = {
  approved: 'pm_card_visa',
  declined: 'pm_card_chargeDeclined',
  out_of_stock: 'pm_card_visa',
  transient: 'pm_card_transientFailure',
};

/** Latencies of one kind of order at one concurrency. */
interface Latency {
  n: number;
  p50Ms: number;
  p99Ms: number;
}

/** One level of the failure-heavy run. */
export interface FailureLevel {
  concurrency: number;
  orders: number;
  seconds: number;
  /** From 202 to the customer's email being sent (`notification.sent`), by kind. */
  told: Record<Kind, Latency>;
  /** From 202 to the authorization being voided (`payment.voided`), for orders out of stock. */
  voided: Latency;
}

/** The whole failure-heavy run and the books at its end. */
export interface FailureResult {
  levels: FailureLevel[];
  books: { orders: number; pending: number; discrepancies: number; kinds: string[]; emailsPerOrder: { min: number; max: number } };
}

const summarise = (samples: number[]): Latency => ({ n: samples.length, p50Ms: Math.round(percentile(samples, 50)), p99Ms: Math.round(percentile(samples, 99)) });

/**
 * The failure-heavy run: orders of which 20 % are declined, 10 % run out of stock after authorization (voided) and
 * 5 % meet a transient provider error, at each concurrency; how long the customer waits to be told, by outcome, and how
 * long an out-of-stock order's money takes to come back; then reconciliation over every order of the run.
 */
export async function benchFailures(options: {
  api: string;
  token: string;
  pubsub: PubSub;
  firestore: Firestore;
  db: Knex;
  provider: PaymentProvider;
  mailWeb: string;
  levels: { concurrency: number; orders: number }[];
  progress: (text: string) => void;
}): Promise<FailureResult> {
  const { pubsub, firestore } = options;
  // A product with nothing in stock: authorized, then the reservation fails and the authorization is voided.
  const source = (await firestore.collection(collections.products).doc('p-00001').get()).data()!;
  await firestore.collection(collections.products).doc('bench-sold-out').set({ ...source, name: 'Sold out', updatedAt: updatedAtCommit() });
  await firestore.collection(collections.stock).doc('bench-sold-out').set({ available: 0, updatedAt: updatedAtCommit() });
  await pubsub.topic('notification.sent').createSubscription('bench.failures.told');
  await pubsub.topic('payment.voided').createSubscription('bench.failures.voided');
  const told = arrivals(pubsub, 'bench.failures.told', (m) => ((JSON.parse(m.data.toString()) as { data: { channel: string } }).data.channel === 'email' ? m.attributes.correlationId : undefined));
  const voided = arrivals(pubsub, 'bench.failures.voided', (m) => m.attributes.correlationId);
  const orderIds: string[] = [];
  const levels: FailureLevel[] = [];
  let seq = 0;
  try {
    for (const level of options.levels) {
      const samples: Record<Kind, number[]> = { approved: [], declined: [], out_of_stock: [], transient: [] };
      const voids: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: level.concurrency }, async () => {
          while (next < level.orders) {
            next++;
            const i = seq++;
            const kind = kindOf(i);
            const productId = kind === 'out_of_stock' ? 'bench-sold-out' : `p-${String((i % 60) + 1).padStart(5, '0')}`;
            const response = await fetch(`${options.api}/v1/orders`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
              body: JSON.stringify({ items: [{ productId, quantity: 1 }], payment: { method: methodOf[kind] }, contact: { email: `bench-f${i}@example.com` } }),
            });
            if (response.status !== 202) throw new Error(`order rejected: ${response.status} ${await response.text()}`);
            const accepted = performance.now();
            const { id } = (await response.json()) as { id: string };
            orderIds.push(id);
            const [toldAt, voidedAt] = await Promise.all([told.wait(id), kind === 'out_of_stock' ? voided.wait(id) : Promise.resolve(null)]);
            samples[kind].push(toldAt - accepted);
            if (voidedAt !== null) voids.push(voidedAt - accepted);
          }
        }),
      );
      const result: FailureLevel = {
        concurrency: level.concurrency,
        orders: level.orders,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        told: { approved: summarise(samples.approved), declined: summarise(samples.declined), out_of_stock: summarise(samples.out_of_stock), transient: summarise(samples.transient) },
        voided: summarise(voids),
      };
      options.progress(`failure-heavy, concurrency ${level.concurrency}: ${level.orders} orders in ${result.seconds} s; told p50 approved ${result.told.approved.p50Ms} ms, declined ${result.told.declined.p50Ms} ms, out of stock ${result.told.out_of_stock.p50Ms} ms (voided ${result.voided.p50Ms} ms)`);
      levels.push(result);
    }
  } finally {
    await Promise.all([told.close(), voided.close()]);
  }
  options.progress(`reconciling the ${orderIds.length} orders of the failure-heavy run`);
  const pending = Number((await options.db('orders').whereIn('id', orderIds).where({ status: 'PENDING' }).count({ n: '*' }))[0]!.n);
  const report = await reconcile({ db: options.db, firestore, provider: options.provider, now: new Date(), graceSeconds: 0, orderIds });
  const mails = (await (await fetch(`${options.mailWeb}/email`)).json()) as { to: { address: string }[] }[];
  const perAddress = new Map<string, number>();
  for (const m of mails) for (const t of m.to) if (t.address.startsWith('bench-f')) perAddress.set(t.address, (perAddress.get(t.address) ?? 0) + 1);
  const counts = orderIds.map((_, i) => perAddress.get(`bench-f${i}@example.com`) ?? 0);
  return {
    levels,
    books: {
      orders: orderIds.length,
      pending,
      discrepancies: report.discrepancies.length,
      kinds: [...new Set(report.discrepancies.map((d) => d.kind))],
      emailsPerOrder: { min: Math.min(...counts), max: Math.max(...counts) },
    },
  };
}

/** The failure-heavy run as a section of docs/performance.md. */
export function failuresMarkdown(result: FailureResult): string {
  const row = (l: FailureLevel) =>
    `| ${l.concurrency} | ${l.orders} | ${l.told.approved.p50Ms} / ${l.told.approved.p99Ms} ms | ${l.told.transient.p50Ms} / ${l.told.transient.p99Ms} ms | ${l.told.declined.p50Ms} / ${l.told.declined.p99Ms} ms | ${l.told.out_of_stock.p50Ms} / ${l.told.out_of_stock.p99Ms} ms | ${l.voided.p50Ms} / ${l.voided.p99Ms} ms |`;
  const { books } = result;
  return `## Failure-heavy run

Of every 20 orders, 4 are declined, 2 run out of stock after authorization (the order is cancelled and the
authorization voided) and 1 meets a transient provider error (503 on the first call, retried). Latency is from the
\`202\` to the customer's email being sent (\`notification.sent\`), p50 / p99; for out-of-stock orders also to the
authorization being voided (\`payment.voided\`): the compensation's latency beside the happy path's.

| concurrency | orders | approved | transient error | declined | out of stock: told | out of stock: voided |
|---:|---:|---:|---:|---:|---:|---:|
${result.levels.map(row).join('\n')}

Reconciliation at the end, over all ${books.orders} orders of the run: **${books.pending} pending** (stuck),
**${books.discrepancies} discrepancies**${books.kinds.length ? ` (${books.kinds.join(', ')})` : ''}; emails per order: min
${books.emailsPerOrder.min}, max ${books.emailsPerOrder.max} (exactly one each when both are 1).
`;
}
