import { randomUUID } from 'node:crypto';
import { cloudEvent, http, type CloudEvent } from '@google-cloud/functions-framework';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { Redis } from 'ioredis';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import nodemailer from 'nodemailer';
import pg from 'pg';
import Stripe from 'stripe';

/*
 * The benchmark's same-work baseline: the order saga written as plainly as it can be. Each function makes the same
 * calls as its saga step, in the same order, on the same PostgreSQL, Redis, emulators, payment simulator and SMTP
 * server (the statements are the ones the saga's functions send, as PostgreSQL logs them), with the bare clients:
 * no step wrapper, no schema validation, no logger, no tracing, no query builder, no retry policies. It checks the
 * caller's token (an order API that does not is not the same API) and nothing else. Each target is one function,
 * chained through `base.*` topics: intake → authorize → reserve → capture → confirm → notify, and `base-audit` writes
 * every event down as saga-audit does.
 */

const env = process.env;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 });
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
const pubsub = new PubSub({ projectId: env.GOOGLE_CLOUD_PROJECT });
const topics = new Map<string, Topic>();
const topic = (name: string) => {
  let t = topics.get(name);
  if (!t) topics.set(name, (t = pubsub.topic(`base.${name}`, { batching: { maxMessages: 1 } })));
  return t;
};
let firestore: Firestore | undefined;
const fs = () => (firestore ??= new Firestore({ projectId: env.BASELINE_FIRESTORE_PROJECT ?? env.GOOGLE_CLOUD_PROJECT }));

const ALREADY_EXISTS = 6;

interface Event {
  type: string;
  data: Record<string, unknown> & { orderId: string };
  metadata: { eventId: string; occurredAt: string; correlationId: string; causationId: string | null; version: 1 };
}

const event = (type: string, data: Event['data'], cause: Event | null): Event => ({
  type,
  data,
  metadata: { eventId: randomUUID(), occurredAt: new Date().toISOString(), correlationId: data.orderId, causationId: cause?.metadata.eventId ?? null, version: 1 },
});

const publish = (e: Event, producer: string) =>
  topic(e.type).publishMessage({
    data: Buffer.from(JSON.stringify(e)),
    attributes: { type: e.type, eventId: e.metadata.eventId, correlationId: e.metadata.correlationId, producer },
  });

const received = (ce: CloudEvent<unknown>): Event =>
  JSON.parse(Buffer.from((ce.data as { message: { data: string } }).message.data, 'base64').toString()) as Event;

/** A transaction on one pooled connection. */
async function transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const result = await work(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

const recordDelivery = (fn: string, e: Event, started: Date, published: Event[]) =>
  pool.query(
    'insert into "step_deliveries" ("attempt", "error", "event_id", "function", "ms", "order_id", "outcome", "published", "span_id", "started_at", "trace_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
    [null, null, e.metadata.eventId, fn, Date.now() - started.getTime(), e.data.orderId, 'handled', published.map((p) => p.metadata.eventId), null, started, null],
  );

const PAYMENT_SELECT =
  'select "payments".*, "refunds"."id" as "refund_id", "refunds"."amount" as "refund_amount", "refunds"."currency" as "refund_currency", "refunds"."provider_refund_id", "refunds"."reason" as "refund_reason" from "payments" left join "refunds" on "refunds"."payment_id" = "payments"."id" where "payments"."order_id" = $1 limit 1';

let stripeClient: Stripe | undefined;
const stripe = () => {
  if (!stripeClient) {
    const url = new URL(env.PAYMENT_PROVIDER_URL!);
    stripeClient = new Stripe(env.PAYMENT_PROVIDER_API_KEY ?? 'sk_test_bench', { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  }
  return stripeClient;
};

// Intake: the caller's token, two rate-limit counters, the products' prices, the order and its event in one
// transaction, then the relay's publish.
let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
let redis: Redis | undefined;
http('base-orders', async (req, res) => {
  const started = new Date();
  jwks ??= createRemoteJWKSet(new URL(env.AUTH_JWKS_URL!));
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const { payload } = await jwtVerify(token, jwks, { issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE }).catch(() => ({ payload: null }));
  if (!payload?.sub) return void res.status(401).end();
  const customerId = payload.sub;
  // The two quota counters (caller and network), in Redis when there is one, else in PostgreSQL as the API keeps them.
  const counters = [`rl:order:caller:${customerId}`, `rl:order:ip:${req.ip}`];
  if (env.REDIS_URL) {
    redis ??= new Redis(env.REDIS_URL);
    await Promise.all(counters.map((key) => redis!.multi().incr(key).pexpire(key, 60_000).exec()));
  } else {
    const expire = Date.now() + 60_000;
    await Promise.all(
      counters.map((key) =>
        pool.query(
          'INSERT INTO rate_limits VALUES ($1, $2, $3) ON CONFLICT(key) DO UPDATE SET points = CASE WHEN (rate_limits.expire <= $4) THEN $2 ELSE rate_limits.points + ($2) END, expire = CASE WHEN (rate_limits.expire <= $4) THEN $3 ELSE rate_limits.expire END RETURNING points, expire',
          [key, 1, expire, Date.now()],
        ),
      ),
    );
  }
  const body = req.body as { items: { productId: string; quantity: number }[]; payment: { method: string }; contact: { email: string; phone?: string } };
  const snaps = await fs().getAll(...body.items.map((i) => fs().collection('products').doc(i.productId)));
  const lines = body.items.map((item, i) => {
    const product = snaps[i]!.data() as { name: string; price: { amount: number; currency: string } };
    return { ...item, name: product.name, unitPrice: product.price };
  });
  const total = { amount: lines.reduce((sum, l) => sum + l.unitPrice.amount * l.quantity, 0), currency: lines[0]!.unitPrice.currency };
  const orderId = randomUUID();
  const placed = event('order.placed', { orderId, customerId, total, lines: lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })), payment: body.payment, contact: body.contact }, null);
  const outboxId = await transaction(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`open-orders:${customerId}`]);
    await c.query('select count(*) as "count" from "orders" where "customer_id" = $1 and "status" = $2 and not "id" = $3', [customerId, 'PENDING', orderId]);
    await c.query(
      'insert into "orders" ("contact_email", "contact_phone", "created_at", "currency", "customer_id", "deadline_at", "id", "payment_method", "status", "total_amount", "traceparent", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [body.contact.email, body.contact.phone ?? null, started, total.currency, customerId, new Date(started.getTime() + 120_000), orderId, body.payment.method, 'PENDING', total.amount, null, started],
    );
    for (const [i, l] of lines.entries()) {
      await c.query('insert into "order_lines" ("currency", "line_no", "name", "order_id", "product_id", "quantity", "unit_amount") values ($1, $2, $3, $4, $5, $6, $7)', [l.unitPrice.currency, i + 1, l.name, orderId, l.productId, l.quantity, l.unitPrice.amount]);
    }
    await c.query('insert into "order_status_history" ("at", "event_id", "order_id", "status") values ($1, $2, $3, $4)', [started, placed.metadata.eventId, orderId, 'PENDING']);
    const { rows } = await c.query('insert into "outbox" ("created_at", "envelope", "event_id", "topic", "traceparent") values (clock_timestamp(), $1, $2, $3, $4) returning "id"', [JSON.stringify(placed), placed.metadata.eventId, placed.type, null]);
    return rows[0].id as number;
  });
  const { rows } = await pool.query('select "id", "envelope", "traceparent" from "outbox" where "id" in ($1) and "published_at" is null', [outboxId]);
  await publish(rows[0].envelope as Event, 'base-orders');
  await pool.query('update "outbox" set "published_at" = $1, "attempts" = attempts + 1 where "id" = $2', [new Date(), outboxId]);
  res.status(202).json({ id: orderId, status: 'PENDING', total, lines, createdAt: started.toISOString() });
});

// order.placed → payment.authorized
cloudEvent('base-authorize', async (ce: CloudEvent<unknown>) => {
  const started = new Date();
  const placed = received(ce);
  const { orderId } = placed.data;
  const { rows: [order] } = await pool.query('select * from "orders" where "id" = $1 limit $2', [orderId, 1]);
  await pool.query(
    `INSERT INTO payments (id, order_id, status, amount, currency, provider, payment_method, created_at, updated_at)
     SELECT $1, $2, 'AUTHORIZING', $3, $4, 'stripe', $5, $6, $7
     WHERE EXISTS (SELECT 1 FROM orders WHERE id = $8 AND status = 'PENDING')
     ON CONFLICT (order_id) DO NOTHING`,
    [randomUUID(), orderId, order.total_amount, order.currency.trim(), order.payment_method, started, started, orderId],
  );
  await pool.query(PAYMENT_SELECT, [orderId]);
  const authorized = await transaction(async (c) => {
    await c.query('select * from "orders" where "id" = $1 limit $2 for update', [orderId, 1]);
    const { rows: [payment] } = await c.query(PAYMENT_SELECT, [orderId]);
    const { rows: lines } = await c.query('select * from "order_lines" where "order_id" = $1 order by "line_no" asc', [orderId]);
    const intent = await stripe().paymentIntents.create(
      { amount: payment.amount, currency: payment.currency.trim().toLowerCase(), payment_method: payment.payment_method, confirm: true, capture_method: 'manual', metadata: { orderId }, allowed_payment_method_types: ['card'] },
      { idempotencyKey: `authorize:${orderId}` },
    );
    await c.query('update "payments" set "status" = $1, "provider_payment_id" = $2, "decline_code" = $3, "updated_at" = $4 where "id" = $5', ['AUTHORIZED', intent.id, null, started, payment.id]);
    return event('payment.authorized', { orderId, paymentId: payment.id, amount: { amount: payment.amount, currency: payment.currency.trim() }, lines: lines.map((l) => ({ productId: l.product_id, quantity: l.quantity })) }, placed);
  });
  await publish(authorized, 'base-authorize');
  await recordDelivery('base-authorize', placed, started, [authorized]);
});

// payment.authorized → inventory.reserved: one batch that creates the reservation and decrements the stock it read.
cloudEvent('base-reserve', async (ce: CloudEvent<unknown>) => {
  const started = new Date();
  const authorized = received(ce);
  const { orderId, paymentId } = authorized.data;
  const lines = authorized.data.lines as { productId: string; quantity: number }[];
  const reservationRef = fs().collection('reservations').doc(orderId);
  const [, ...stock] = await fs().getAll(reservationRef, ...lines.map((l) => fs().collection('stock').doc(l.productId)));
  const batch = fs().batch();
  batch.create(reservationRef, { status: 'RESERVED', paymentId, lines, unavailable: [], createdAt: Timestamp.fromDate(started) });
  stock.forEach((snap, i) => batch.update(snap.ref, { available: (snap.get('available') as number) - lines[i]!.quantity, updatedAt: Timestamp.fromDate(started) }, { lastUpdateTime: snap.updateTime! }));
  // A redelivery of an event already reserved finds its reservation (the saga's step announces it again instead).
  const committed = await batch.commit().then(() => true, (err: { code?: number }) => {
    if (err.code === ALREADY_EXISTS) return false;
    throw err;
  });
  if (!committed) return;
  const reserved = event('inventory.reserved', { orderId, paymentId, lines }, authorized);
  await publish(reserved, 'base-reserve');
  await fs().collection('stepDeliveries').add({ fn: 'base-reserve', eventId: authorized.metadata.eventId, orderId, attempt: null, startedAt: Timestamp.fromDate(started), ms: Date.now() - started.getTime(), traceId: null, spanId: null, outcome: 'handled', error: null, published: [reserved.metadata.eventId] });
});

// inventory.reserved → payment.captured
cloudEvent('base-capture', async (ce: CloudEvent<unknown>) => {
  const started = new Date();
  const reserved = received(ce);
  const { orderId } = reserved.data;
  const captured = await transaction(async (c) => {
    await c.query('select * from "orders" where "id" = $1 limit $2 for update', [orderId, 1]);
    const { rows: [payment] } = await c.query(PAYMENT_SELECT, [orderId]);
    await stripe().paymentIntents.capture(payment.provider_payment_id, { amount_to_capture: payment.amount }, { idempotencyKey: `capture:${payment.id}` });
    await c.query('update "payments" set "status" = $1, "capture_error" = $2, "updated_at" = $3 where "id" = $4', ['CAPTURED', null, started, payment.id]);
    return event('payment.captured', { orderId, paymentId: payment.id, amount: { amount: payment.amount, currency: payment.currency.trim() } }, reserved);
  });
  await publish(captured, 'base-capture');
  await recordDelivery('base-capture', reserved, started, [captured]);
});

// payment.captured → order.confirmed
cloudEvent('base-confirm', async (ce: CloudEvent<unknown>) => {
  const started = new Date();
  const captured = received(ce);
  const { orderId } = captured.data;
  const confirmed = await transaction(async (c) => {
    const { rows: [order] } = await c.query('select * from "orders" where "id" = $1 limit $2 for update', [orderId, 1]);
    const { rows: lines } = await c.query('select * from "order_lines" where "order_id" = $1 order by "line_no" asc', [orderId]);
    const e = event('order.confirmed', {
      orderId,
      customerId: order.customer_id,
      total: { amount: order.total_amount, currency: order.currency.trim() },
      lines: lines.map((l) => ({ productId: l.product_id, name: l.name, quantity: l.quantity, unitPrice: { amount: l.unit_amount, currency: l.currency.trim() } })),
      contact: { email: order.contact_email, ...(order.contact_phone ? { phone: order.contact_phone } : {}) },
    }, captured);
    await c.query('update "orders" set "status" = $1, "cancellation_reason" = $2, "updated_at" = $3 where "id" = $4', ['CONFIRMED', null, started, orderId]);
    await c.query('insert into "order_status_history" ("at", "event_id", "order_id", "reason", "status") values ($1, $2, $3, $4, $5)', [started, e.metadata.eventId, orderId, null, 'CONFIRMED']);
    return e;
  });
  await publish(confirmed, 'base-confirm');
  await recordDelivery('base-confirm', captured, started, [confirmed]);
});

// order.confirmed → notification.sent: claim the message, send it, mark it sent.
let mail: nodemailer.Transporter | undefined;
cloudEvent('base-notify', async (ce: CloudEvent<unknown>) => {
  const started = new Date();
  const confirmed = received(ce);
  const { orderId, customerId, contact } = confirmed.data as { orderId: string; customerId: string; contact: { email: string } };
  const { email } = contact;
  await pool.query(
    `INSERT INTO notifications (id, order_id, event_id, channel, template, customer_id, recipient, status, claimed_until, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, 1)
     ON CONFLICT (order_id, template, channel) DO UPDATE
       SET claimed_until = EXCLUDED.claimed_until, attempts = notifications.attempts + 1
       WHERE notifications.status = 'sending' AND notifications.claimed_until < $9
     RETURNING id`,
    [randomUUID(), orderId, confirmed.metadata.eventId, 'email', 'order-confirmed', customerId, email, new Date(started.getTime() + 60_000), started],
  );
  const smtp = new URL(env.SMTP_URL!);
  mail ??= nodemailer.createTransport({ host: smtp.hostname, port: Number(smtp.port), secure: false, pool: true, maxConnections: 2 });
  const info = await mail.sendMail({
    from: 'Saga Commerce <orders@saga-commerce.dev>',
    to: email,
    subject: `Your order ${orderId.slice(0, 8)} is confirmed`,
    text: `Thank you for your order ${orderId}.`,
    messageId: `<${orderId}.order-confirmed.email@saga-commerce.dev>`,
  });
  await pool.query('update "notifications" set "status" = $1, "provider_message_id" = $2, "sent_at" = $3, "claimed_until" = $4, "error" = $5 where "order_id" = $6 and "template" = $7 and "channel" = $8', ['sent', info.messageId, new Date(), null, null, orderId, 'order-confirmed', 'email']);
  const sent = event('notification.sent', { orderId, template: 'order-confirmed', channel: 'email', providerMessageId: info.messageId as string }, confirmed);
  await publish(sent, 'base-notify');
  await recordDelivery('base-notify', confirmed, started, [sent]);
});

// Every event, written down once by id.
cloudEvent('base-audit', async (ce: CloudEvent<unknown>) => {
  const e = received(ce);
  const attributes = (ce.data as { message: { attributes?: Record<string, string> } }).message.attributes ?? {};
  await pool.query(
    'insert into "saga_events" ("causation_id", "data", "event_id", "occurred_at", "order_id", "producer", "recorded_at", "trace_id", "type") values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict ("event_id") do nothing',
    [e.metadata.causationId, JSON.stringify(e.data), e.metadata.eventId, new Date(e.metadata.occurredAt), e.data.orderId, attributes.producer ?? null, new Date(), null, e.type],
  );
});
