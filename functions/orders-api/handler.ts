import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import { z } from 'zod';
import { ListOrdersQuery, PlaceOrderRequest } from '../../schemas/index.ts';
import { getProducts } from '../lib/catalog.ts';
import { getOrderView, insertOrder, listOrders } from '../lib/db/orders.repository.ts';
import { createEvent } from '../lib/events.ts';
import type { Route } from '../lib/http/api.ts';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.ts';
import { HttpProblem, validationProblem } from '../lib/http/problem.ts';
import { newId } from '../lib/ids.ts';
import type { Publish } from '../lib/pubsub.ts';
import { priceOrder } from './pricing.ts';

const Position = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });

/** Orders API: place an order (starts the saga) and read the caller's own orders. */
export function createOrderRoutes(deps: { db: Knex; firestore: Firestore; publish: Publish }): Route[] {
  const { db, firestore, publish } = deps;
  return [
    {
      method: 'POST',
      path: /^\/v1\/orders\/?$/,
      auth: 'required',
      async handle({ req, caller, now, log }) {
        const body = PlaceOrderRequest.safeParse(req.body);
        if (!body.success) throw validationProblem(body.error, 'body');
        const { items, payment, contact } = body.data;
        const products = await getProducts(firestore, items.map((i) => i.productId));
        const orderable = new Map([...products].filter(([, p]) => p.status === 'active'));
        const priced = priceOrder(items, orderable);
        if (!priced.ok) {
          throw priced.problem === 'unknown-product'
            ? HttpProblem.of('unknown-product', `unknown products: ${priced.productIds.join(', ')}`)
            : HttpProblem.of('mixed-currencies', `products are priced in ${priced.currencies.join(', ')}`);
        }
        const orderId = newId();
        const placed = createEvent(
          'order.placed',
          {
            orderId,
            customerId: caller.sub,
            total: priced.total,
            lines: priced.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
            payment,
            contact,
          },
          { correlationId: orderId, cause: null, now },
        );
        await insertOrder(db, { id: orderId, customerId: caller.sub, total: priced.total, contact, lines: priced.lines, placedEventId: placed.metadata.eventId, now });
        try {
          await publish(placed);
        } catch (err) {
          log.error({ err, orderId }, 'order stored but order.placed could not be published');
          throw HttpProblem.of('service-unavailable', 'the order could not be submitted; retry shortly');
        }
        log.info({ orderId, total: priced.total }, 'order placed');
        return {
          status: 202,
          headers: { Location: `/v1/orders/${orderId}` },
          body: { id: orderId, status: 'PENDING', total: priced.total, lines: priced.lines, createdAt: now.toISOString() },
        };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/orders\/?$/,
      auth: 'required',
      async handle({ req, caller }) {
        const query = ListOrdersQuery.safeParse(req.query);
        if (!query.success) throw validationProblem(query.error, 'query');
        const { limit, cursor } = query.data;
        const after = cursor ? decodeCursor(cursor, Position) : undefined;
        const page = await listOrders(db, { customerId: caller.sub, limit: limit + 1, after });
        const items = page.slice(0, limit);
        const last = items.at(-1);
        return {
          status: 200,
          body: {
            items: items.map((o) => ({
              id: o.id,
              status: o.status,
              cancellationReason: o.cancellationReason,
              total: o.total,
              createdAt: o.createdAt.toISOString(),
            })),
            nextCursor:
              page.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/orders\/([^/]+)$/,
      auth: 'required',
      async handle({ params, caller }) {
        const id = z.uuid().safeParse(params[0]);
        // Another customer's order and a malformed id both look like "no such order", so ids cannot be probed.
        const order = id.success ? await getOrderView(db, id.data) : null;
        if (!order || (order.customerId !== caller.sub && !caller.admin)) {
          throw HttpProblem.of('not-found', `no order ${params[0]}`);
        }
        const { customerId: _owner, ...view } = order;
        return { status: 200, body: view, headers: { 'Cache-Control': 'private, no-store' } };
      },
    },
  ];
}
