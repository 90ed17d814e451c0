import type { Knex } from 'knex';
import type { AttentionReason, CancellationReason, Contact, Money, OrderStatus, OrderView, SagaStatus, StockLine } from '../../../schemas/index.ts';
import { newId } from '../ids.ts';
import { sagaMetrics } from '../metrics.ts';
import { currentTraceparent } from '../telemetry.ts';

/** An order row as the saga sees it. */
export interface OrderRecord {
  id: string;
  customerId: string;
  status: SagaStatus;
  cancellationReason: CancellationReason | null;
  total: Money;
  contact: Contact;
  paymentMethod: string | null;
  createdAt: Date;
  updatedAt: Date;
  deadlineAt: Date;
  attention: { reason: AttentionReason; detail: string; since: Date } | null;
  nudgedAt: Date | null;
  nudges: number;
  /** The W3C context of the request that placed the order: later work on it joins this trace. */
  traceparent: string | null;
}

/** One priced line of a new order. */
export interface NewOrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: SagaStatus;
  cancellation_reason: CancellationReason | null;
  total_amount: number;
  currency: string;
  contact_email: string;
  contact_phone: string | null;
  payment_method: string | null;
  created_at: Date;
  updated_at: Date;
  deadline_at: Date;
  attention_reason: AttentionReason | null;
  attention_detail: string | null;
  attention_since: Date | null;
  nudged_at: Date | null;
  nudges: number;
  traceparent: string | null;
}

const toRecord = (r: OrderRow): OrderRecord => ({
  id: r.id,
  customerId: r.customer_id,
  status: r.status,
  cancellationReason: r.cancellation_reason,
  total: { amount: r.total_amount, currency: r.currency.trim() },
  contact: r.contact_phone ? { email: r.contact_email, phone: r.contact_phone } : { email: r.contact_email },
  paymentMethod: r.payment_method,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deadlineAt: r.deadline_at,
  attention: r.attention_reason ? { reason: r.attention_reason, detail: r.attention_detail ?? '', since: r.attention_since! } : null,
  nudgedAt: r.nudged_at,
  nudges: r.nudges,
  traceparent: r.traceparent,
});

/** Stores a new PENDING order (with the current trace context), its lines and its first history entry (inside the caller's transaction). */
export async function insertOrder(
  trx: Knex,
  order: {
    id: string;
    customerId: string;
    total: Money;
    contact: Contact;
    lines: NewOrderLine[];
    paymentMethod: string;
    deadlineAt: Date;
    placedEventId: string;
    now: Date;
  },
): Promise<void> {
  await trx('orders').insert({
    id: order.id,
    customer_id: order.customerId,
    status: 'PENDING',
    total_amount: order.total.amount,
    currency: order.total.currency,
    contact_email: order.contact.email,
    contact_phone: order.contact.phone ?? null,
    payment_method: order.paymentMethod,
    created_at: order.now,
    updated_at: order.now,
    deadline_at: order.deadlineAt,
    traceparent: currentTraceparent(),
  });
  await trx('order_lines').insert(
    order.lines.map((l, i) => ({
      order_id: order.id,
      line_no: i + 1,
      product_id: l.productId,
      name: l.name,
      quantity: l.quantity,
      unit_amount: l.unitPrice.amount,
      currency: l.unitPrice.currency,
    })),
  );
  await trx('order_status_history').insert({ order_id: order.id, status: 'PENDING', event_id: order.placedEventId, at: order.now });
}

/** Loads an order row; `lock` takes a row lock inside the caller's transaction. */
export async function findOrder(db: Knex, id: string, options: { lock?: 'update' | 'update-nowait' } = {}): Promise<OrderRecord | null> {
  const query = db<OrderRow>('orders').where({ id }).first();
  const locked = options.lock === 'update' ? query.forUpdate() : options.lock === 'update-nowait' ? query.forUpdate().noWait() : query;
  const row = await locked;
  return row ? toRecord(row) : null;
}

/** The lines of an order, in order, as stock lines. */
export async function orderLines(db: Knex, id: string): Promise<(StockLine & { unitPrice: Money; name: string })[]> {
  const rows = await db('order_lines').where({ order_id: id }).orderBy('line_no');
  return rows.map((l) => ({ productId: l.product_id, quantity: l.quantity, name: l.name, unitPrice: { amount: l.unit_amount, currency: l.currency.trim() } }));
}

/**
 * Runs `work` in a transaction holding the order's row lock. Every step that moves money or changes an order's status
 * runs under it, so for one order they happen one after another: a capture cannot slip in after a cancellation, and
 * the compensation that follows a cancellation sees the payment as it finally stands.
 */
export async function withOrderLock<T>(db: Knex, orderId: string, work: (trx: Knex.Transaction, order: OrderRecord | null) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => work(trx, await findOrder(trx, orderId, { lock: 'update' })));
}

/** How many of a customer's orders are still PENDING (other than one, when placing it again). */
export async function countOpenOrders(db: Knex, customerId: string, options: { except?: string } = {}): Promise<number> {
  const query = db('orders').where({ customer_id: customerId, status: 'PENDING' });
  if (options.except) query.whereNot({ id: options.except });
  const [row] = await query.count<{ count: string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}

/** Moves a PENDING order to CONFIRMED or CANCELLED and records why (inside the caller's locked transaction). */
export async function setOutcome(
  trx: Knex,
  order: OrderRecord,
  change: { to: 'CONFIRMED' | 'CANCELLED'; reason: CancellationReason | null; eventId: string; now: Date },
): Promise<OrderRecord> {
  await trx('orders').where({ id: order.id }).update({ status: change.to, cancellation_reason: change.reason, updated_at: change.now });
  await trx('order_status_history').insert({ order_id: order.id, status: change.to, reason: change.reason, event_id: change.eventId, at: change.now });
  sagaMetrics.orderFinished(trx, { outcome: change.to, reason: change.reason, placedAt: order.createdAt, now: change.now });
  return { ...order, status: change.to, cancellationReason: change.reason, updatedAt: change.now };
}

/** Marks an order NEEDS_ATTENTION (inside the caller's locked transaction); the history keeps when it started. */
export async function markAttention(trx: Knex, order: OrderRecord, attention: { reason: AttentionReason; detail: string; now: Date }): Promise<void> {
  await trx('orders').where({ id: order.id }).update({
    attention_reason: attention.reason,
    attention_detail: attention.detail.slice(0, 1000),
    attention_since: order.attention?.since ?? attention.now,
  });
  if (!order.attention) {
    await trx('order_status_history').insert({ order_id: order.id, status: 'NEEDS_ATTENTION', reason: attention.reason, event_id: newId(), at: attention.now });
    sagaMetrics.attentionRaised(trx, attention.reason);
  }
}

/**
 * Clears NEEDS_ATTENTION when nothing keeps it any more: no open dead letter of the order and no money the provider
 * refused to give back (inside the caller's locked transaction). The history records the return.
 */
export async function refreshAttention(trx: Knex, order: OrderRecord, now: Date): Promise<void> {
  if (!order.attention) return;
  const [openDeadLetter, refusedRelease] = await Promise.all([
    trx('dead_letters').where({ order_id: order.id, status: 'open' }).first('id', 'function', 'event_type'),
    trx('payments').where({ order_id: order.id }).whereNotNull('release_error').whereIn('status', ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED', 'CAPTURE_FAILED']).first('release_error'),
  ]);
  if (openDeadLetter) {
    await trx('orders').where({ id: order.id }).update({ attention_reason: 'dead_letter', attention_detail: `${openDeadLetter.function} gave up on ${openDeadLetter.event_type ?? 'a message'}` });
    return;
  }
  if (refusedRelease) {
    await trx('orders').where({ id: order.id }).update({ attention_reason: 'release_failed', attention_detail: `the provider refused to give the money back: ${refusedRelease.release_error}` });
    return;
  }
  await trx('orders').where({ id: order.id }).update({ attention_reason: null, attention_detail: null, attention_since: null });
  await trx('order_status_history').insert({ order_id: order.id, status: order.status, reason: 'attention_resolved', event_id: newId(), at: now });
}

/** Records that the watchdog republished an order's saga event. */
export async function recordNudge(db: Knex, orderId: string, now: Date): Promise<void> {
  await db('orders').where({ id: orderId }).update({ nudged_at: now, nudges: db.raw('nudges + 1') });
}

/** The order with its lines, payment, refund and history as the API shows it; null when it does not exist. */
export async function getOrderView(db: Knex, id: string): Promise<(OrderView & { customerId: string }) | null> {
  const row = await db<OrderRow>('orders').where({ id }).first();
  if (!row) return null;
  const [lines, payment, history] = await Promise.all([
    orderLines(db, id),
    db('payments')
      .leftJoin('refunds', 'refunds.payment_id', 'payments.id')
      .where('payments.order_id', id)
      .first(
        'payments.status',
        'payments.amount',
        'payments.currency',
        'payments.decline_code',
        'refunds.amount as refund_amount',
        'refunds.currency as refund_currency',
        'refunds.created_at as refunded_at',
      ),
    db('order_status_history').where({ order_id: id }).orderBy('id'),
  ]);
  const record = toRecord(row);
  return {
    id: record.id,
    customerId: record.customerId,
    status: record.attention ? 'NEEDS_ATTENTION' : record.status,
    cancellationReason: record.cancellationReason,
    attention: record.attention
      ? { reason: record.attention.reason, detail: record.attention.detail, since: record.attention.since.toISOString(), sagaStatus: record.status }
      : null,
    deadlineAt: record.deadlineAt.toISOString(),
    lines: lines.map((l) => ({
      productId: l.productId,
      name: l.name,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      lineTotal: { amount: l.unitPrice.amount * l.quantity, currency: l.unitPrice.currency },
    })),
    total: record.total,
    contact: record.contact,
    payment: payment
      ? {
          status: payment.status,
          amount: { amount: payment.amount, currency: payment.currency.trim() },
          declineCode: payment.decline_code,
          refund:
            payment.refund_amount !== null
              ? { amount: { amount: payment.refund_amount, currency: payment.refund_currency.trim() }, refundedAt: payment.refunded_at.toISOString() }
              : null,
        }
      : null,
    history: history.map((h) => ({ status: h.status, reason: h.reason, at: h.at.toISOString() })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A page of a customer's orders, newest first, after a (createdAt, id) position. */
export async function listOrders(
  db: Knex,
  options: { customerId?: string; status?: OrderStatus; reason?: string; limit: number; after?: { createdAt: string; id: string } },
): Promise<OrderRecord[]> {
  const query = db<OrderRow>('orders')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(options.limit);
  if (options.customerId !== undefined) query.andWhere({ customer_id: options.customerId });
  // NEEDS_ATTENTION lies over the saga's status: an order waiting for an operator is listed there, not under its status.
  if (options.status === 'NEEDS_ATTENTION') query.whereNotNull('attention_reason');
  else if (options.status) query.andWhere({ status: options.status }).whereNull('attention_reason');
  const reason = options.reason;
  if (reason) query.andWhere((q) => q.where('cancellation_reason', reason).orWhere('attention_reason', reason));
  if (options.after) {
    const { createdAt, id } = options.after;
    query.andWhereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [createdAt, id]);
  }
  return (await query).map(toRecord);
}
