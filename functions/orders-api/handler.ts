import type { Firestore } from '@google-cloud/firestore';
import { trace } from '@opentelemetry/api';
import type { Knex } from 'knex';
import { z } from 'zod';
import { getProducts } from '../lib/catalog.ts';
import { orderFacts } from '../lib/db/timeline.repository.ts';
import { countOpenOrders, findOrder, getOrderView, insertOrder, listOrders, orderLines } from '../lib/db/orders.repository.ts';
import { createEvent } from '../lib/events.ts';
import { strikes, type Faults } from '../lib/faults.ts';
import { route, type Reply, type Route } from '../lib/http/api.ts';
import { decodeCursor, pageOf } from '../lib/http/cursor.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { newId, stableId } from '../lib/ids.ts';
import { enqueue, relay } from '../lib/outbox.ts';
import type { Publish } from '../lib/pubsub.ts';
import { withDeadline } from '../lib/resilience.ts';
import type { StepLedger } from '../lib/step-ledger.ts';
import { ORDER_ID, traceIdOf } from '../lib/telemetry.ts';
import { priceOrder } from './pricing.ts';
import { buildTimeline } from './timeline.ts';

const Position = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** What the orders API needs. */
export interface OrderRoutesDeps {
  db: Knex;
  firestore: Firestore;
  publish: Publish;
  /** Time each order's saga gets before the watchdog cancels it. */
  deadlineSeconds: number;
  /** Longest wait on Firestore for prices. */
  dependencyTimeoutMs: number;
  /** Longest the request waits for the relay to publish order.placed; the sweeper publishes it otherwise. */
  relayWaitMs: number;
  faults: () => Faults;
  /** Ends the process (fault injection: a crash between the commit and the publish). */
  crash: () => never;
  /** Orders one customer may have PENDING at once. */
  maxOpenOrders: number;
  /** Where the steps write their deliveries down (PostgreSQL and Firestore), for the timeline. */
  ledgers: readonly StepLedger[];
}

/** The 202 answer for an accepted order. */
const accepted = (order: { id: string; status: string; total: unknown; lines: unknown; createdAt: Date }): Reply => ({
  status: 202,
  headers: { Location: `/v1/orders/${order.id}` },
  body: { id: order.id, status: order.status, total: order.total, lines: order.lines, createdAt: order.createdAt.toISOString() },
});

/**
 * Orders API: place an order and read the caller's own orders. Placing stores the order and its `order.placed` in one
 * transaction (the outbox): once it commits the client gets `202`, whatever Pub/Sub is doing; the relay publishes at
 * once and the sweeper publishes whatever the relay could not.
 */
export function createOrderRoutes(deps: OrderRoutesDeps): Route[] {
  const { db, firestore } = deps;
  return [
    route('placeOrder', async ({ body, caller, now, log, idempotencyKey }) => {
      const { items, payment, contact } = body;
      const products = await withDeadline(getProducts(firestore, items.map((i) => i.productId)), deps.dependencyTimeoutMs, 'Firestore');
      const orderable = new Map([...products].filter(([, p]) => p.status === 'active'));
      const priced = priceOrder(items, orderable);
      if (!priced.ok) {
        throw priced.problem === 'unknown-product'
          ? HttpProblem.of('unknown-product', `unknown products: ${priced.productIds.join(', ')}`)
          : HttpProblem.of('mixed-currencies', `products are priced in ${priced.currencies.join(', ')}`);
      }
      // With a key, the order's id follows from it: a retry after a crash that lost the key's record finds the order.
      const orderId = idempotencyKey ? stableId('order', caller.sub, idempotencyKey) : newId();
      // This request's span is the root of the order's trace: every step after it is a span of the same trace.
      trace.getActiveSpan()?.setAttribute(ORDER_ID, orderId);
      const placed = createEvent(
        'order.placed',
        {
          orderId,
          customerId: caller.sub,
          total: priced.total,
          lines: priced.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
          payment: { method: payment.method },
          contact,
        },
        { correlationId: orderId, cause: null, now },
      );
      let outboxIds: number[];
      try {
        outboxIds = await db.transaction(async (trx) => {
          // One customer's orders are placed one at a time, so the count of open ones cannot be raced past.
          await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`open-orders:${caller.sub}`]);
          const open = await countOpenOrders(trx, caller.sub, { except: orderId });
          if (open >= deps.maxOpenOrders) {
            throw HttpProblem.of('too-many-open-orders', `${open} of your orders are still being processed (at most ${deps.maxOpenOrders}); wait until one is confirmed or cancelled`);
          }
          await insertOrder(trx, {
            id: orderId,
            customerId: caller.sub,
            total: priced.total,
            contact,
            lines: priced.lines,
            paymentMethod: payment.method,
            deadlineAt: new Date(now.getTime() + deps.deadlineSeconds * 1000),
            placedEventId: placed.metadata.eventId,
            now,
          });
          return enqueue(trx, [placed]);
        });
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION || !idempotencyKey) throw err;
        const existing = await findOrder(db, orderId);
        if (!existing || existing.customerId !== caller.sub) throw err;
        log.info({ orderId }, 'order already placed with this Idempotency-Key; answering as the first time');
        return accepted({ ...existing, lines: await orderLines(db, orderId) });
      }
      if (strikes(deps.faults().crashAfterCommit, 'orders-api')) {
        log.fatal({ orderId }, 'FAULTS.crashAfterCommit: exiting after the commit, before the relay publishes');
        deps.crash();
      }
      await withDeadline(relay(db, deps.publish, outboxIds, log), deps.relayWaitMs, 'outbox relay').catch(() =>
        log.warn({ orderId }, 'order.placed not published yet; the outbox sweeper will publish it'),
      );
      log.info({ orderId, total: priced.total }, 'order placed');
      return accepted({ id: orderId, status: 'PENDING', total: priced.total, lines: priced.lines, createdAt: now });
    }),
    route('listOrders', async ({ query, caller }) => {
      const { limit, cursor } = query;
      const after = cursor ? decodeCursor(cursor, Position) : undefined;
      const rows = await listOrders(db, { customerId: caller.sub, limit: limit + 1, after });
      const { items, nextCursor } = pageOf(rows, limit, (last) => ({ createdAt: last.createdAt.toISOString(), id: last.id }));
      return {
        status: 200,
        body: {
          items: items.map((o) => ({
            id: o.id,
            status: o.attention ? 'NEEDS_ATTENTION' : o.status,
            cancellationReason: o.cancellationReason,
            total: o.total,
            createdAt: o.createdAt.toISOString(),
          })),
          nextCursor,
        },
      };
    }),
    route('getOrder', async ({ params, caller }) => {
      // Another customer's order and a malformed id both look like "no such order", so ids cannot be probed.
      const order = await getOrderView(db, params.orderId);
      if (!order || (order.customerId !== caller.sub && !caller.admin)) {
        throw HttpProblem.of('not-found', `no order ${params.orderId}`);
      }
      const { customerId: _owner, ...view } = order;
      return { status: 200, body: view, headers: { 'Cache-Control': 'private, no-store' } };
    }),
    route('getOrderTimeline', async ({ params, caller }) => {
      const order = await findOrder(db, params.orderId);
      if (!order || (order.customerId !== caller.sub && !caller.admin)) {
        throw HttpProblem.of('not-found', `no order ${params.orderId}`);
      }
      const view = caller.admin ? 'full' : 'customer';
      const entries = buildTimeline(await orderFacts(db, deps.ledgers, order.id), view);
      return {
        status: 200,
        headers: { 'Cache-Control': 'private, no-store' },
        body: { orderId: order.id, view, traceId: view === 'full' ? traceIdOf(order.traceparent) : null, entries },
      };
    }),
  ];
}
