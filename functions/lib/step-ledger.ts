import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';

/** One step's failures of one event: how often, the last error and when. */
export interface StepFailure {
  attempts: number;
  lastError: string;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/** One delivery of an event to a step, as the step wrapper saw it. */
export interface StepDelivery {
  fn: string;
  eventId: string;
  orderId: string | null;
  /** Pub/Sub's count of this delivery (1 for the first), when the subscription has a dead-letter policy. */
  attempt: number | null;
  outcome: 'handled' | 'failed' | 'dead_lettered';
  error: string | null;
  /** Ids of the events the step published. */
  published: string[];
  startedAt: Date;
  ms: number;
  traceId: string | null;
  spanId: string | null;
}

/**
 * Where a step writes down every delivery it got and what came of it: the timeline shows them, and the dead-letter
 * recorder reads why a message was given up (Pub/Sub keeps only the attempt count). Each function uses the store it
 * already talks to.
 */
export interface StepLedger {
  record(delivery: StepDelivery): Promise<void>;
  /** The failed deliveries of one event to one step, summed up. */
  failures(fn: string, eventId: string): Promise<StepFailure | null>;
  /** Every delivery recorded for an order, oldest first. */
  ofOrder(orderId: string): Promise<StepDelivery[]>;
}

const ERROR_LIMIT = 2000;

/** Step deliveries in PostgreSQL (`step_deliveries`). */
export function postgresLedger(db: Knex): StepLedger {
  return {
    async record(d) {
      await db('step_deliveries').insert({
        function: d.fn,
        event_id: d.eventId,
        order_id: d.orderId,
        attempt: d.attempt,
        outcome: d.outcome,
        error: d.error?.slice(0, ERROR_LIMIT) ?? null,
        published: d.published,
        started_at: d.startedAt,
        ms: d.ms,
        trace_id: d.traceId,
        span_id: d.spanId,
      });
    },
    async failures(fn, eventId) {
      const row = await db('step_deliveries')
        .where({ function: fn, event_id: eventId, outcome: 'failed' })
        .select(
          db.raw('count(*)::int AS attempts'),
          db.raw('min(started_at) AS first_failed_at'),
          db.raw('max(started_at) AS last_failed_at'),
          db.raw('(array_agg(error ORDER BY started_at DESC, id DESC))[1] AS last_error'),
        )
        .first();
      return row && row.attempts > 0
        ? { attempts: row.attempts, lastError: row.last_error ?? '', firstFailedAt: row.first_failed_at, lastFailedAt: row.last_failed_at }
        : null;
    },
    async ofOrder(orderId) {
      const rows = await db('step_deliveries').where({ order_id: orderId }).orderBy([{ column: 'started_at' }, { column: 'id' }]);
      return rows.map((r) => ({
        fn: r.function,
        eventId: r.event_id,
        orderId: r.order_id,
        attempt: r.attempt,
        outcome: r.outcome,
        error: r.error,
        published: r.published,
        startedAt: r.started_at,
        ms: r.ms,
        traceId: r.trace_id,
        spanId: r.span_id,
      }));
    },
  };
}

/** Step deliveries in Firestore (`stepDeliveries`), for the steps that only use Firestore. */
export function firestoreLedger(fs: Firestore): StepLedger {
  const deliveries = () => fs.collection('stepDeliveries');
  const fromDoc = (d: FirebaseFirestore.DocumentData): StepDelivery => ({ ...(d as StepDelivery), startedAt: (d.startedAt as Timestamp).toDate() });
  return {
    async record(d) {
      await deliveries().add({ ...d, error: d.error?.slice(0, ERROR_LIMIT) ?? null, startedAt: Timestamp.fromDate(d.startedAt) });
    },
    async failures(fn, eventId) {
      const snap = await deliveries().where('fn', '==', fn).where('eventId', '==', eventId).get();
      const failed = snap.docs.map((doc) => fromDoc(doc.data())).filter((d) => d.outcome === 'failed');
      if (failed.length === 0) return null;
      failed.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
      return { attempts: failed.length, lastError: failed.at(-1)!.error ?? '', firstFailedAt: failed[0]!.startedAt, lastFailedAt: failed.at(-1)!.startedAt };
    },
    async ofOrder(orderId) {
      const snap = await deliveries().where('orderId', '==', orderId).get();
      return snap.docs.map((doc) => fromDoc(doc.data())).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    },
  };
}
