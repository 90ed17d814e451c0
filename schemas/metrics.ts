/** What kind of instrument a metric is, as OpenTelemetry records it. */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** One metric the saga records: the functions, the alert policies and the dashboard all read this table. */
export interface MetricSpec {
  kind: MetricKind;
  description: string;
  unit?: 'ms' | 's';
  /** The attributes its points carry. */
  attributes: readonly string[];
  /** Histogram bucket bounds. */
  buckets?: readonly number[];
}

/** Bucket bounds in milliseconds for saga and step latencies (10 ms to 15 min). */
const LATENCY_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000] as const;

/** Every metric of the saga, by name. */
export const metrics = {
  'saga.orders.finished': { kind: 'counter', description: 'Orders that reached CONFIRMED or CANCELLED, by outcome and cancellation reason.', attributes: ['outcome', 'reason'] },
  'saga.order.duration': { kind: 'histogram', unit: 'ms', buckets: LATENCY_MS, description: 'From placing an order to its CONFIRMED or CANCELLED.', attributes: ['outcome', 'reason'] },
  'saga.orders.attention': { kind: 'counter', description: 'Orders that came to need an operator, by reason.', attributes: ['reason'] },
  'saga.step.duration': { kind: 'histogram', unit: 'ms', buckets: LATENCY_MS, description: 'One delivery to a step, by function, event type and outcome.', attributes: ['function', 'event_type', 'outcome'] },
  'saga.step.deliveries': { kind: 'counter', description: 'Deliveries to steps, by function and outcome (handled, failed, dead_lettered): failed per handled is the retry rate.', attributes: ['function', 'outcome'] },
  'saga.compensation.latency': { kind: 'histogram', unit: 'ms', buckets: LATENCY_MS, description: 'From order.cancelled to a compensation done (money back, stock back, order cancelled).', attributes: ['function'] },
  'saga.dead_letters.open': { kind: 'gauge', description: 'Dead letters waiting for an operator.', attributes: [] },
  'saga.orders.needing_attention': { kind: 'gauge', description: 'Orders needing an operator now.', attributes: [] },
  'saga.orders.pending': { kind: 'gauge', description: 'Orders whose saga is still running.', attributes: [] },
  'saga.outbox.lag': { kind: 'gauge', unit: 's', description: 'Age of the oldest unpublished outbox row (0 when all are published).', attributes: [] },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof metrics;
export const metricNames = Object.keys(metrics) as MetricName[];
