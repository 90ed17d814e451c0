import type { Knex } from 'knex';
import { z } from 'zod';
import { parseEnvelope, eventTypes, type Envelope, type EventType } from '../../schemas/index.ts';
import { findDeadLetter, listDeadLetters, recordAdminAction, resolveDeadLetter } from '../lib/db/dead-letters.repository.ts';
import { findOrder, orderLines, refreshAttention, withOrderLock, type OrderRecord } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { route, type Route } from '../lib/http/api.ts';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import { cancelledEvent, confirmedEvent } from '../lib/order-events.ts';
import { enqueue, relay, storedEvent } from '../lib/outbox.ts';
import type { Publish } from '../lib/pubsub.ts';
import { withDeadline } from '../lib/resilience.ts';
import { inOrderTrace, ORDER_ID, traceIdOf } from '../lib/telemetry.ts';
import type { TraceStore } from '../lib/traces.ts';

const Position = z.object({ at: z.iso.datetime(), id: z.uuid() });

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
export function createAdminRoutes(deps: { db: Knex; publish: Publish; relayWaitMs: number; traces: TraceStore }): Route[] {
  const { db } = deps;

  /** Publishes what a committed transaction put in the outbox; the sweeper publishes it if this cannot. */
  const publishNow = (ids: number[], log: Logger) =>
    withDeadline(relay(db, deps.publish, ids, log), deps.relayWaitMs, 'outbox relay').catch(() => log.warn({ outboxIds: ids }, 'not published yet; the outbox sweeper will'));

  const deadLetterOr404 = async (trx: Knex, id: string) => {
    const found = await findDeadLetter(trx, id, { lock: true });
    if (!found) throw HttpProblem.of('not-found', `no dead letter ${id}`);
    return found;
  };

  return [
    route('listDeadLetters', async ({ query }) => {
      const { limit, cursor, ...filter } = query;
      const after = cursor ? decodeCursor(cursor, Position) : undefined;
      const page = await listDeadLetters(db, { ...filter, limit: limit + 1, ...(after ? { after } : {}) });
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        body: { items, nextCursor: page.length > limit && last ? encodeCursor({ at: last.deadLetteredAt, id: last.id }) : null },
      };
    }),
    route('getDeadLetter', async ({ params }) => {
      const { rawData: _raw, ...view } = await deadLetterOr404(db, params.deadLetterId);
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: view };
    }),
    route('replayDeadLetter', async ({ params, caller, now, log }) => {
      const { view, ids } = await db.transaction(async (trx) => {
        const letter = await deadLetterOr404(trx, params.deadLetterId);
        if (letter.status !== 'open') throw HttpProblem.of('conflict', `dead letter ${letter.id} is already ${letter.status}`);
        const event = replayable(letter);
        // The original event, same id: every consumer of its topic sees it again and recognises what it already did.
        // It is published again in the trace it was first published in.
        const outboxIds = await inOrderTrace(letter.message.attributes.googclient_traceparent, 'admin-api replay dead letter', { [ORDER_ID]: letter.orderId ?? '' }, () =>
          enqueue(trx, [event], now),
        );
        await resolveDeadLetter(trx, letter.id, { status: 'replayed', by: caller.sub, reason: null, now });
        await recordAdminAction(trx, { action: 'dead-letter.replay', target: letter.id, orderId: letter.orderId, actor: caller.sub, reason: null, now });
        return { view: { ...letter, status: 'replayed' as const }, ids: outboxIds };
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
        await resolveDeadLetter(trx, letter.id, { status: 'discarded', by: caller.sub, reason: body.reason, now });
        await recordAdminAction(trx, { action: 'dead-letter.discard', target: letter.id, orderId: letter.orderId, actor: caller.sub, reason: body.reason, now });
        return letter;
      });
      if (view.orderId) await withOrderLock(db, view.orderId, async (trx, order) => order && refreshAttention(trx, order, now));
      log.info({ deadLetterId: view.id, by: caller.sub, reason: body.reason }, 'dead letter discarded');
      const { rawData: _raw, ...rest } = view;
      return { status: 200, body: { ...rest, status: 'discarded', resolution: { by: caller.sub, reason: body.reason, at: now.toISOString() } } };
    }),
    route('retryOrder', async ({ params, caller, now, log }) => {
      const orderId = params.orderId;
      const { event, ids } = await withOrderLock(db, orderId, async (trx, order) => {
        if (!order) throw HttpProblem.of('not-found', `no order ${orderId}`);
        const driving = await drivingEvent(trx, order, now);
        const outboxIds = await inOrderTrace(order.traceparent, 'admin-api retry order', { [ORDER_ID]: order.id }, () => enqueue(trx, [driving], now));
        await recordAdminAction(trx, { action: 'order.retry', target: order.id, orderId: order.id, actor: caller.sub, reason: null, now });
        return { event: driving, ids: outboxIds };
      });
      await publishNow(ids, log);
      log.info({ orderId, republished: event.type, by: caller.sub }, 'order retried');
      return { status: 202, body: { orderId, republished: { type: event.type, eventId: event.metadata.eventId } } };
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

