import type { Attributes, Counter, Gauge, Histogram } from '@opentelemetry/api';
import type { Knex } from 'knex';
import { metrics, type MetricName, type MetricSpec } from '../../schemas/index.ts';
import { meter } from './telemetry.ts';

type Instrument = Counter | Histogram | Gauge;
const instruments = new Map<MetricName, Instrument>();

/** The instrument of a metric of the table, created on first use. */
function instrument(name: MetricName): Instrument {
  let made = instruments.get(name);
  if (!made) {
    const spec: MetricSpec = metrics[name];
    const options = { description: spec.description, ...(spec.unit ? { unit: spec.unit } : {}) };
    made =
      spec.kind === 'counter'
        ? meter().createCounter(name, options)
        : spec.kind === 'gauge'
          ? meter().createGauge(name, options)
          : meter().createHistogram(name, { ...options, ...(spec.buckets ? { advice: { explicitBucketBoundaries: [...spec.buckets] } } : {}) });
    instruments.set(name, made);
  }
  return made;
}

const add = (name: MetricName, value: number, attributes: Attributes = {}) => (instrument(name) as Counter).add(value, attributes);
const record = (name: MetricName, value: number, attributes: Attributes = {}) => (instrument(name) as Histogram | Gauge).record(value, attributes);

/** Runs `work` once the caller's transaction commits (at once outside a transaction), so a rollback counts nothing. */
function afterCommit(trx: Knex, work: () => void): void {
  const committed = (trx as unknown as { executionPromise?: Promise<unknown> }).executionPromise;
  if (committed) committed.then(work, () => undefined);
  else work();
}

/** What the saga records as metrics (the names and attributes of schemas/metrics.ts). */
export const sagaMetrics = {
  orderFinished(trx: Knex, order: { outcome: 'CONFIRMED' | 'CANCELLED'; reason: string | null; placedAt: Date; now: Date }): void {
    afterCommit(trx, () => {
      const attributes = { outcome: order.outcome.toLowerCase(), reason: order.reason ?? 'none' };
      add('saga.orders.finished', 1, attributes);
      record('saga.order.duration', Math.max(0, order.now.getTime() - order.placedAt.getTime()), attributes);
    });
  },
  attentionRaised(trx: Knex, reason: string): void {
    afterCommit(trx, () => add('saga.orders.attention', 1, { reason }));
  },
  delivery(d: { fn: string; eventType: string; outcome: string; ms: number; compensationMs: number | null }): void {
    add('saga.step.deliveries', 1, { function: d.fn, outcome: d.outcome });
    record('saga.step.duration', d.ms, { function: d.fn, event_type: d.eventType, outcome: d.outcome });
    if (d.outcome === 'handled' && d.compensationMs !== null) record('saga.compensation.latency', d.compensationMs, { function: d.fn });
  },
  backlog(b: { openDeadLetters: number; needingAttention: number; pending: number; outboxLagSeconds: number }): void {
    record('saga.dead_letters.open', b.openDeadLetters);
    record('saga.orders.needing_attention', b.needingAttention);
    record('saga.orders.pending', b.pending);
    record('saga.outbox.lag', b.outboxLagSeconds);
  },
};
