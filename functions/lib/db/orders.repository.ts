import type { Knex } from 'knex';
import type { CancellationReason, Contact, Money, OrderStatus, OrderView } from '../../../schemas/index.ts';

/** An order row with its contact details. */
export interface OrderRecord {
  id: string;
  customerId: string;
  status: OrderStatus;
  cancellationReason: CancellationReason | null;
  total: Money;
  contact: Contact;
  createdAt: Date;
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
  status: OrderStatus;
  cancellation_reason: CancellationReason | null;
  total_amount: number;
  currency: string;
  contact_email: string;
  contact_phone: string | null;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (r: OrderRow): OrderRecord => ({
  id: r.id,
  customerId: r.customer_id,
  status: r.status,
  cancellationReason: r.cancellation_reason,
  total: { amount: r.total_amount, currency: r.currency },
  contact: r.contact_phone ? { email: r.contact_email, phone: r.contact_phone } : { email: r.contact_email },
  createdAt: r.created_at,
});

/** Stores a new PENDING order, its lines and its first history entry in one transaction. */
export async function insertOrder(
  db: Knex,
  order: { id: string; customerId: string; total: Money; contact: Contact; lines: NewOrderLine[]; placedEventId: string; now: Date },
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('orders').insert({
      id: order.id,
      customer_id: order.customerId,
      status: 'PENDING',
      total_amount: order.total.amount,
      currency: order.total.currency,
      contact_email: order.contact.email,
      contact_phone: order.contact.phone ?? null,
      created_at: order.now,
      updated_at: order.now,
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
    await trx('order_status_history').insert({
      order_id: order.id,
      status: 'PENDING',
      event_id: order.placedEventId,
      at: order.now,
    });
  });
}

/** Loads an order row, locking it when `forUpdate` is given a transaction. */
export async function findOrder(db: Knex, id: string, options: { forUpdate?: boolean } = {}): Promise<OrderRecord | null> {
  const query = db<OrderRow>('orders').where({ id }).first();
  const row = await (options.forUpdate ? query.forUpdate() : query);
  return row ? toRecord(row) : null;
}

/**
 * Moves an order to a final status in one transaction and records why; `decide` sees the locked current record and
 * says whether to apply the change. Returns the record as it stands afterwards.
 */
export async function transitionOrder(
  db: Knex,
  change: { orderId: string; to: OrderStatus; reason: CancellationReason | null; eventId: string; now: Date },
  decide: (current: OrderRecord) => boolean,
): Promise<{ applied: boolean; order: OrderRecord } | null> {
  return db.transaction(async (trx) => {
    const current = await findOrder(trx, change.orderId, { forUpdate: true });
    if (!current) return null;
    if (!decide(current)) return { applied: false, order: current };
    await trx('orders')
      .where({ id: change.orderId })
      .update({ status: change.to, cancellation_reason: change.reason, updated_at: change.now });
    await trx('order_status_history').insert({
      order_id: change.orderId,
      status: change.to,
      reason: change.reason,
      event_id: change.eventId,
      at: change.now,
    });
    return { applied: true, order: { ...current, status: change.to, cancellationReason: change.reason } };
  });
}

/** The order with its lines, payment, refund and history as the API shows it; null when it does not exist. */
export async function getOrderView(db: Knex, id: string): Promise<(OrderView & { customerId: string }) | null> {
  const row = await db<OrderRow>('orders').where({ id }).first();
  if (!row) return null;
  const [lines, payment, history] = await Promise.all([
    db('order_lines').where({ order_id: id }).orderBy('line_no'),
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
    status: record.status,
    cancellationReason: record.cancellationReason,
    lines: lines.map((l) => ({
      productId: l.product_id,
      name: l.name,
      quantity: l.quantity,
      unitPrice: { amount: l.unit_amount, currency: l.currency },
      lineTotal: { amount: l.unit_amount * l.quantity, currency: l.currency },
    })),
    total: record.total,
    contact: record.contact,
    payment: payment
      ? {
          status: payment.status,
          amount: { amount: payment.amount, currency: payment.currency },
          declineCode: payment.decline_code,
          refund:
            payment.refund_amount !== null
              ? {
                  amount: { amount: payment.refund_amount, currency: payment.refund_currency },
                  refundedAt: payment.refunded_at.toISOString(),
                }
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
  options: { customerId: string; limit: number; after?: { createdAt: string; id: string } },
): Promise<OrderRecord[]> {
  const query = db<OrderRow>('orders')
    .where({ customer_id: options.customerId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(options.limit);
  if (options.after) {
    const { createdAt, id } = options.after;
    query.andWhereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [createdAt, id]);
  }
  return (await query).map(toRecord);
}
