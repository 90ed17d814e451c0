import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import { z } from 'zod';
import { parseEnvelope, eventTypes, type Envelope, type EventType } from '../../schemas/index.ts';
import { findDeadLetter, listDeadLetters, recordAdminAction, resolveDeadLetter, selectDeadLetters } from '../lib/db/dead-letters.repository.ts';
import { findOrder, listOrders, orderLines, refreshAttention, withOrderLock, type OrderRecord } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { route, type Route } from '../lib/http/api.ts';
import { decodeCursor, pageOf } from '../lib/http/cursor.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { collections } from '../lib/firestore.ts';
import { cancelledEvent, cancelOrder, confirmedEvent } from '../lib/order-events.ts';
import { enqueue, relay, storedEvent } from '../lib/outbox.ts';
import type { Publish } from '../lib/pubsub.ts';
import { withDeadline } from '../lib/resilience.ts';
import { inOrderTrace, ORDER_ID, traceIdOf } from '../lib/telemetry.ts';
import type { TraceStore } from '../lib/traces.ts';
import { replayEffects, type ReplayState } from './replay-effects.ts';

const Position = z.object({ at: z.iso.datetime(), id: z.uuid() });
const OrderPosition = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });

/** The event that drives an order's saga on from where it stands: its start, its confirmation or its cancellation. */
export async function drivingEvent(trx: Knex, order: OrderRecord, now: Date): Promise<Envelope> {
  switch (order.status) {
    case 'PENDING': {
      const stored = await storedEvent(trx, stableId(order.id, 'order.placed'));
      if (!stored) throw new Error(`order ${order.id} has no order.placed in the outbox`);
      return stored;
    }
    case 'CONFIRMED':
      return confirmedEvent(order, await orderLines(trx, order.id), { cause: null, now });
    case 'CANCELLED':
      return cancelledEvent(order, await findPaymentByOrder(trx, order.id), { cause: null, now });
    default: {
      const unreachable: never = order.status;
      throw new Error(`unknown order status ${String(unreachable)}`);
    }
  }
}

/** Admin operations on the saga: dead letters (list, show, replay, discard) and retrying an order's pending work. */
/** What the admin API needs. */
export interface AdminRoutesDeps {
  db: Knex;
  firestore: Firestore;
  publish: Publish;
  /** Longest a request waits for the relay to publish; the sweeper publishes what it could not. */
  relayWaitMs: number;
  traces: TraceStore;
}

export function createAdminRoutes(deps: AdminRoutesDeps): Route[] {
  const { db } = deps;

  /** Publishes what a committed transaction put in the outbox; the sweeper publishes it if this cannot. */
  const publishNow = (ids: number[], log: Logger) =>
    withDeadline(relay(db, deps.publish, ids, log), deps.relayWaitMs, 'outbox relay').catch(() => log.warn({ outboxIds: ids }, 'not published yet; the outbox sweeper will'));

  const deadLetterOr404 = async (trx: Knex, id: string) => {
    const found = await findDeadLetter(trx, id, { lock: true });
    if (!found) throw HttpProblem.of('not-found', `no dead letter ${id}`);
    return found;
  };

  /** Publishes a dead letter's event again from the outbox, in the trace it was first published in, and records who did it. */
  const replayLetter = async (trx: Knex, letter: DeadLetter, actor: string, now: Date) => {
    const event = replayable(letter);
    // The original event, same id: every consumer of its topic sees it again and recognises what it already did.
    const ids = await inOrderTrace(letter.message.attributes.googclient_traceparent, 'admin-api replay dead letter', { [ORDER_ID]: letter.orderId ?? '' }, () =>
      enqueue(trx, [event]),
    );
    await resolveDeadLetter(trx, letter.id, { status: 'replayed', by: actor, reason: null, now });
    await recordAdminAction(trx, { action: 'dead-letter.replay', target: letter.id, orderId: letter.orderId, actor, reason: null, now });
    return ids;
  };

  const discardLetter = async (trx: Knex, letter: DeadLetter, actor: string, reason: string, now: Date) => {
    await resolveDeadLetter(trx, letter.id, { status: 'discarded', by: actor, reason, now });
    await recordAdminAction(trx, { action: 'dead-letter.discard', target: letter.id, orderId: letter.orderId, actor, reason, now });
  };

  /** The order, payment, reservation and messages a replay's effects depend on. */
  const replayState = async (orderId: string | null): Promise<ReplayState> => {
    if (!orderId) return { order: null, payment: null, reservation: null, told: new Set() };
    const [order, payment, reservation, told] = await Promise.all([
      findOrder(db, orderId),
      findPaymentByOrder(db, orderId),
      deps.firestore.collection(collections.reservations).doc(orderId).get(),
      db('notifications').where({ order_id: orderId }).whereIn('status', ['sent', 'rejected']).select('template', 'channel'),
    ]);
    return {
      order: order ? { status: order.status, total: order.total, hasPhone: order.contact.phone !== undefined } : null,
      payment: payment ? { status: payment.status, amount: payment.amount } : null,
      reservation: reservation.exists ? (reservation.get('status') as ReplayState['reservation']) : null,
      told: new Set(told.map((n: { template: string; channel: string }) => `${n.template}/${n.channel}`)),
    };
  };

  return [
    route('listDeadLetters', async ({ query }) => {
      const { limit, cursor, ...filter } = query;
      const after = cursor ? decodeCursor(cursor, Position) : undefined;
      const rows = await listDeadLetters(db, { ...filter, limit: limit + 1, ...(after ? { after } : {}) });
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: pageOf(rows, limit, (last) => ({ at: last.deadLetteredAt, id: last.id })) };
    }),
    route('getDeadLetter', async ({ params }) => {
      const { rawData: _raw, ...view } = await deadLetterOr404(db, params.deadLetterId);
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: view };
    }),
    route('replayDeadLetter', async ({ params, caller, now, log }) => {
      const { view, ids } = await db.transaction(async (trx) => {
        const letter = await deadLetterOr404(trx, params.deadLetterId);
        if (letter.status !== 'open') throw HttpProblem.of('conflict', `dead letter ${letter.id} is already ${letter.status}`);
        return { view: { ...letter, status: 'replayed' as const }, ids: await replayLetter(trx, letter, caller.sub, now) };
      });
      if (view.orderId) await withOrderLock(db, view.orderId, async (trx, order) => order && refreshAttention(trx, order, now));
      await publishNow(ids, log);
      log.info({ deadLetterId: view.id, eventType: view.eventType, orderId: view.orderId, by: caller.sub }, 'dead letter replayed');
      const { rawData: _raw, ...body } = view;
      return { status: 202, body };
    }),
    route('discardDeadLetter', async ({ body, params, caller, now, log }) => {
      const view = await db.transaction(async (trx) => {
        const letter = await deadLetterOr404(trx, params.deadLetterId);
        if (letter.status !== 'open') throw HttpProblem.of('conflict', `dead letter ${letter.id} is already ${letter.status}`);
        await discardLetter(trx, letter, caller.sub, body.reason, now);
        return letter;
      });
      if (view.orderId) await withOrderLock(db, view.orderId, async (trx, order) => order && refreshAttention(trx, order, now));
      log.info({ deadLetterId: view.id, by: caller.sub, reason: body.reason }, 'dead letter discarded');
      const { rawData: _raw, ...rest } = view;
      return { status: 200, body: { ...rest, status: 'discarded', resolution: { by: caller.sub, reason: body.reason, at: now.toISOString() } } };
    }),
    route('bulkDeadLetters', async ({ body, caller, now, log }) => {
      const letters = await selectDeadLetters(db, body.select, body.limit);
      const items = [];
      const outbox: number[] = [];
      const touched = new Set<string>();
      for (const found of letters) {
        const state = await replayState(found.orderId);
        const effects = body.action === 'replay' ? replayEffects(found, state) : [];
        const refused = body.action === 'replay' ? whyNotReplayable(found) : null;
        let outcome: 'would-replay' | 'would-discard' | 'replayed' | 'discarded' | 'skipped' = refused ? 'skipped' : body.action === 'replay' ? 'would-replay' : 'would-discard';
        if (!body.dryRun && !refused) {
          // Each letter in its own transaction, still open when taken: one already handled by someone else is skipped.
          outcome = await db.transaction(async (trx) => {
            const letter = await findDeadLetter(trx, found.id, { lock: true });
            if (!letter || letter.status !== 'open') return 'skipped';
            if (body.action === 'replay') outbox.push(...(await replayLetter(trx, letter, caller.sub, now)));
            else await discardLetter(trx, letter, caller.sub, body.reason!, now);
            return body.action === 'replay' ? 'replayed' : 'discarded';
          });
          if (found.orderId && outcome !== 'skipped') touched.add(found.orderId);
        }
        items.push({ id: found.id, function: found.function, eventType: found.eventType, orderId: found.orderId, effects, refused, outcome });
      }
      for (const orderId of touched) await withOrderLock(db, orderId, async (trx, order) => order && refreshAttention(trx, order, now));
      if (outbox.length > 0) await publishNow(outbox, log);
      const totals: Record<string, number> = {};
      for (const e of items.filter((i) => i.outcome !== 'skipped').flatMap((i) => i.effects)) totals[e.kind] = (totals[e.kind] ?? 0) + 1;
      log.info({ action: body.action, dryRun: body.dryRun, matched: letters.length, by: caller.sub, totals }, `dead letters ${body.dryRun ? 'looked at (dry run)' : `${body.action}ed in bulk`}`);
      return { status: 200, body: { action: body.action, dryRun: body.dryRun, matched: letters.length, items, totals } };
    }),
    route('retryOrder', async ({ params, caller, now, log }) => {
      const orderId = params.orderId;
      const { event, ids } = await withOrderLock(db, orderId, async (trx, order) => {
        if (!order) throw HttpProblem.of('not-found', `no order ${orderId}`);
        const driving = await drivingEvent(trx, order, now);
        const outboxIds = await inOrderTrace(order.traceparent, 'admin-api retry order', { [ORDER_ID]: order.id }, () => enqueue(trx, [driving]));
        await recordAdminAction(trx, { action: 'order.retry', target: order.id, orderId: order.id, actor: caller.sub, reason: null, now });
        return { event: driving, ids: outboxIds };
      });
      await publishNow(ids, log);
      log.info({ orderId, republished: event.type, by: caller.sub }, 'order retried');
      return { status: 202, body: { orderId, republished: { type: event.type, eventId: event.metadata.eventId } } };
    }),
    route('listAllOrders', async ({ query }) => {
      const { limit, cursor, ...filter } = query;
      const after = cursor ? decodeCursor(cursor, OrderPosition) : undefined;
      const rows = await listOrders(db, { ...filter, limit: limit + 1, ...(after ? { after } : {}) });
      const { items, nextCursor } = pageOf(rows, limit, (last) => ({ createdAt: last.createdAt.toISOString(), id: last.id }));
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        body: {
          items: items.map((o) => ({
            id: o.id,
            customerId: o.customerId,
            status: o.attention ? 'NEEDS_ATTENTION' : o.status,
            sagaStatus: o.status,
            cancellationReason: o.cancellationReason,
            attentionReason: o.attention?.reason ?? null,
            total: o.total,
            createdAt: o.createdAt.toISOString(),
            updatedAt: o.updatedAt.toISOString(),
          })),
          nextCursor,
        },
      };
    }),
    route('cancelOrder', async ({ params, body, caller, now, log }) => {
      const { event, ids } = await withOrderLock(db, params.orderId, async (trx, order) => {
        if (!order) throw HttpProblem.of('not-found', `no order ${params.orderId}`);
        if (order.status !== 'PENDING') throw HttpProblem.of('conflict', `order ${order.id} is already ${order.status}; only an order in flight can be cancelled`);
        return inOrderTrace(order.traceparent, 'admin-api cancel order', { [ORDER_ID]: order.id }, async () => {
          const cancelled = await cancelOrder(trx, order, await findPaymentByOrder(trx, order.id), { reason: 'cancelled_by_shop', cause: null, now });
          await recordAdminAction(trx, { action: 'order.cancel', target: order.id, orderId: order.id, actor: caller.sub, reason: body.reason, now });
          return { event: cancelled, ids: await enqueue(trx, [cancelled]) };
        });
      });
      await publishNow(ids, log);
      log.info({ orderId: params.orderId, by: caller.sub, reason: body.reason, moneyBack: event.data.moneyBack }, 'order cancelled by the shop');
      return {
        status: 202,
        body: { orderId: params.orderId, status: 'CANCELLED', moneyBack: event.data.moneyBack, published: { type: 'order.cancelled', eventId: event.metadata.eventId } },
      };
    }),
    route('getOrderTrace', async ({ params }) => {
      const order = await findOrder(db, params.orderId);
      if (!order) throw HttpProblem.of('not-found', `no order ${params.orderId}`);
      const traceId = traceIdOf(order.traceparent);
      const spans = traceId
        ? await deps.traces.spans(traceId).catch((err: unknown) => {
            throw HttpProblem.of('service-unavailable', `the trace store cannot be read now (${(err as Error).message}); retry shortly`, {}, { 'Retry-After': '5' });
          })
        : [];
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { orderId: order.id, traceId, spans, traceUrl: traceId ? deps.traces.urlOf(traceId) : null } };
    }),
  ];
}

type DeadLetter = NonNullable<Awaited<ReturnType<typeof findDeadLetter>>>;

/** Why a dead letter cannot be replayed (it holds no valid event of its topic), or null. */
function whyNotReplayable(letter: { id: string; rawData: string; topic: string | null; cause: string }): string | null {
  try {
    replayable(letter);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The event inside a dead letter, when it is one that can be published again; a 409 says why not otherwise. */
function replayable(letter: { id: string; rawData: string; topic: string | null; cause: string }): Envelope {
  const type = letter.topic as EventType | null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(letter.rawData, 'base64').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = type && (eventTypes as string[]).includes(type) ? parseEnvelope(value, [type]) : { ok: false as const, error: 'its topic is unknown' };
  if (!parsed.ok) {
    throw HttpProblem.of('conflict', `dead letter ${letter.id} (${letter.cause}) holds no valid event to replay (${parsed.error}); discard it with a reason`);
  }
  return parsed.envelope;
}

