import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import { collections } from '../lib/firestore.ts';
import { findOrder, recordNudge, type OrderRecord } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { cancelledEvent, cancelOrder, confirmedEvent } from '../lib/order-events.ts';
import { orderLines } from '../lib/db/orders.repository.ts';
import { enqueue, relay, storedEvent } from '../lib/outbox.ts';
import type { Publish } from '../lib/pubsub.ts';
import { sagaMetrics } from '../lib/metrics.ts';
import { inOrderTrace, ORDER_ID } from '../lib/telemetry.ts';

/** What one watchdog run did. */
export interface WatchdogSummary {
  /** Orders past their deadline, cancelled with reason `timeout`. */
  timedOut: string[];
  /** Orders whose saga was nudged (an event republished), by why. */
  nudged: { stalled: string[]; unsettled: string[]; unreleased: string[]; untold: string[] };
}

/** PostgreSQL's lock_not_available: another step holds the order now, so it is not stuck. */
const LOCK_NOT_AVAILABLE = '55P03';

/** How the watchdog judges and acts. */
export interface WatchdogOptions {
  /** No progress for this long means stalled. */
  stallSeconds: number;
  /** Republish at most this often per order; after that the order waits for an operator (its events dead-letter). */
  maxNudges: number;
  /** Orders looked at per kind and run. */
  limit: number;
}

/** What waits: open dead letters, orders needing an operator, running sagas, and the age of the oldest unpublished outbox row. */
export async function backlog(db: Knex, now: Date) {
  // Each count reads a partial index (open dead letters, orders needing attention, pending orders), not the table.
  const count = async (query: Knex.QueryBuilder) => Number(((await query.count('* as n')) as { n: string }[])[0]?.n ?? 0);
  const [openDeadLetters, needingAttention, pending, outbox] = await Promise.all([
    count(db('dead_letters').where({ status: 'open' })),
    count(db('orders').whereNotNull('attention_reason')),
    count(db('orders').where({ status: 'PENDING' })),
    db('outbox').whereNull('published_at').min<{ oldest: Date | null }[]>('created_at as oldest'),
  ]);
  const oldest = outbox[0]?.oldest;
  return {
    openDeadLetters,
    needingAttention,
    pending,
    outboxLagSeconds: oldest ? Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000) : 0,
  };
}

/**
 * The saga watchdog, run on a schedule. Pub/Sub delivers at least once but not always in time (a push endpoint that
 * was down, an emulator that gave up, a function killed mid-step), so this finds stuck work in the database of record:
 * - orders past their deadline are cancelled (reason `timeout`); order.cancelled then voids or refunds the money,
 *   releases the stock and tells the customer;
 * - a pending order without progress gets its order.placed republished: every step is idempotent and announces what
 *   it already did, so the saga runs on from wherever it stopped;
 * - a cancelled order whose money or stock was not given back, or a finished order whose customer was not told, gets
 *   its order.cancelled or order.confirmed republished.
 * Orders that need an operator (a dead letter, a refused refund) are left to the operator.
 */
export function createWatchdog(deps: { db: Knex; firestore: Firestore; publish: Publish; options: WatchdogOptions }) {
  const { db, options } = deps;
  return async ({ now, log }: { now: Date; log: Logger }): Promise<WatchdogSummary> => {
    const stalledBefore = new Date(now.getTime() - options.stallSeconds * 1000);
    const outbox: number[] = [];
    const summary: WatchdogSummary = { timedOut: [], nudged: { stalled: [], unsettled: [], unreleased: [], untold: [] } };

    /** Runs `work` on an order under its lock, unless another step holds it right now, as a span of the order's trace. */
    const onOrder = async <T>(id: string, action: string, work: (trx: Knex.Transaction, order: OrderRecord) => Promise<T | null>): Promise<T | null> => {
      try {
        return await db.transaction(async (trx) => {
          const order = await findOrder(trx, id, { lock: 'update-nowait' });
          return order ? inOrderTrace(order.traceparent, `saga-watchdog ${action}`, { [ORDER_ID]: id }, () => work(trx, order)) : null;
        });
      } catch (err) {
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return null;
        throw err;
      }
    };

    const overdue = await db('orders').where({ status: 'PENDING' }).where('deadline_at', '<', now).orderBy('deadline_at').limit(options.limit).pluck('id');
    for (const id of overdue) {
      const event = await onOrder(id, 'timeout', async (trx, order) => {
        if (order.status !== 'PENDING' || order.deadlineAt >= now) return null;
        const cancelled = await cancelOrder(trx, order, await findPaymentByOrder(trx, id), { reason: 'timeout', cause: null, now });
        outbox.push(...(await enqueue(trx, [cancelled])));
        return cancelled;
      });
      if (event) {
        summary.timedOut.push(id);
        log.warn({ orderId: id, moneyBack: event.data.moneyBack }, 'order passed its deadline; cancelled (timeout)');
      }
    }

    const nudgeable = () =>
      db('orders as o')
        .leftJoin('payments as p', 'p.order_id', 'o.id')
        .whereNull('o.attention_reason')
        .where('o.nudges', '<', options.maxNudges)
        .where((q) => q.whereNull('o.nudged_at').orWhere('o.nudged_at', '<', stalledBefore))
        .whereRaw('greatest(o.updated_at, coalesce(p.updated_at, o.updated_at)) < ?', [stalledBefore])
        .limit(options.limit);

    const nudge = async (ids: string[], kind: keyof WatchdogSummary['nudged'], eventOf: (trx: Knex, order: OrderRecord) => Promise<Envelope | null>) => {
      for (const id of ids) {
        const event = await onOrder(id, `nudge ${kind}`, async (trx, order) => {
          const driving = await eventOf(trx, order);
          if (!driving) return null;
          outbox.push(...(await enqueue(trx, [driving])));
          await recordNudge(trx, id, now);
          return driving;
        });
        if (event) {
          summary.nudged[kind].push(id);
          log.info({ orderId: id, republished: event.type, why: kind }, 'saga nudged');
        }
      }
    };

    const stalled = await nudgeable().where('o.status', 'PENDING').where('o.deadline_at', '>=', now).pluck('o.id');
    await nudge(stalled, 'stalled', (trx, order) => (order.status === 'PENDING' ? storedEvent(trx, stableId(order.id, 'order.placed')) : Promise.resolve(null)));

    const unsettled = await nudgeable()
      .where('o.status', 'CANCELLED')
      .whereIn('p.status', ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED', 'CAPTURE_FAILED'])
      .whereNull('p.release_error')
      .pluck('o.id');
    const cancelled = async (trx: Knex, order: OrderRecord) => (order.status === 'CANCELLED' ? cancelledEvent(order, await findPaymentByOrder(trx, order.id), { cause: null, now }) : null);
    await nudge(unsettled, 'unsettled', cancelled);

    // Stock lives in Firestore: look at the reservations of recently cancelled orders for any still held.
    const recentlyCancelled = await nudgeable().where('o.status', 'CANCELLED').where('o.updated_at', '>', new Date(now.getTime() - 3_600_000)).pluck('o.id');
    if (recentlyCancelled.length > 0) {
      const snaps = await deps.firestore.getAll(...recentlyCancelled.map((id: string) => deps.firestore.collection(collections.reservations).doc(id)));
      const held = snaps.filter((s) => s.exists && s.get('status') === 'RESERVED').map((s) => s.id);
      await nudge(held, 'unreleased', cancelled);
    }

    const untold = await nudgeable()
      .whereIn('o.status', ['CONFIRMED', 'CANCELLED'])
      .whereNotExists((q) =>
        q
          .select(db.raw('1'))
          .from('notifications as n')
          .whereRaw('n.order_id = o.id')
          .where('n.channel', 'email')
          .whereIn('n.status', ['sent', 'rejected'])
          .whereRaw("n.template = CASE o.status WHEN 'CONFIRMED' THEN 'order_confirmed' ELSE 'order_cancelled' END"),
      )
      .pluck('o.id');
    await nudge(untold, 'untold', async (trx, order) =>
      order.status === 'CONFIRMED' ? confirmedEvent(order, await orderLines(trx, order.id), { cause: null, now }) : cancelled(trx, order),
    );

    await relay(db, deps.publish, outbox, log);
    sagaMetrics.backlog(await backlog(db, now));
    return summary;
  };
}
