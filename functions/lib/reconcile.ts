import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import type { StockLine } from '../../schemas/index.ts';
import { collections } from './firestore.ts';
import type { PaymentProvider, ProviderIntent } from './payments/provider.ts';
import { ReservationDoc } from './reservations.ts';

/** One thing in the books that does not add up, with what to do about it. */
export interface Discrepancy {
  kind:
    | 'unknown-order-payment'
    | 'confirmed-not-paid'
    | 'paid-wrong-amount'
    | 'money-not-returned'
    | 'extra-authorization'
    | 'record-disagrees'
    | 'stuck'
    | 'needs-attention'
    | 'stock-not-reserved'
    | 'stock-not-released'
    | 'negative-stock'
    | 'not-told'
    | 'wrong-email';
  orderId: string | null;
  detail: string;
  action: string;
}

/** What a reconciliation looked at and found. */
export interface ReconcileReport {
  checked: { orders: number; intents: number; inFlight: number };
  discrepancies: Discrepancy[];
}

interface OrderFacts {
  id: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  attention: string | null;
  total: number;
  currency: string;
  updatedAt: Date;
  deadlineAt: Date;
  lines: StockLine[];
  payment: { status: string; intentId: string | null } | null;
  emails: { template: string; status: string }[];
}

const retry = (id: string) => `retry it: npm run dlq -- retry-order ${id} (POST /v1/admin/orders/${id}/retry); its dead letters: npm run dlq -- list --order ${id}`;

/** The per-product totals of stock lines. */
const totals = (lines: StockLine[]) => {
  const sum = new Map<string, number>();
  for (const l of lines) sum.set(l.productId, (sum.get(l.productId) ?? 0) + l.quantity);
  return [...sum].sort(([a], [b]) => a.localeCompare(b)).map(([p, q]) => `${p}×${q}`).join(', ');
};

/**
 * Judges one order against the provider's intents for it and its reservation: pure, so every rule has a unit test.
 * Money: a confirmed order has exactly its total captured and nothing refunded; a cancelled one has every intent voided
 * or refunded in full. Stock: a confirmed order holds a reservation of exactly its lines; a cancelled one holds none.
 * Email: a finished order told its customer once, with the template of its outcome.
 */
export function judgeOrder(order: OrderFacts, intents: ProviderIntent[], reservation: ReservationDoc | null): Discrepancy[] {
  const found: Discrepancy[] = [];
  const add = (kind: Discrepancy['kind'], detail: string, action: string) => found.push({ kind, orderId: order.id, detail, action });
  const captured = intents.filter((i) => i.amountReceived > 0);
  const open = intents.filter((i) => i.status === 'requires_capture');
  const kept = captured.reduce((sum, i) => sum + i.amountReceived - i.amountRefunded, 0);

  if (order.attention) add('needs-attention', `the order needs attention (${order.attention})`, retry(order.id));

  if (order.status === 'CONFIRMED') {
    if (captured.length === 0) add('confirmed-not-paid', 'confirmed, but the provider holds no capture for it', 'find why payment-capture did not record its capture; capture it in the provider, or cancel and refund the order');
    else if (kept !== order.total) add('paid-wrong-amount', `confirmed for ${order.total} ${order.currency} but ${kept} is kept at the provider`, 'refund the difference in the provider and record it');
    if (open.length > 0) add('extra-authorization', `${open.length} authorization(s) still open beside the capture (${open.map((i) => i.id).join(', ')})`, 'void them in the provider');
    if (!reservation || reservation.status !== 'RESERVED') add('stock-not-reserved', `confirmed, but its reservation is ${reservation?.status ?? 'missing'}`, 'reserve its lines by hand (POST /v1/products/{id}/stock-adjustments) or cancel the order');
    else if (totals(reservation.lines) !== totals(order.lines)) add('stock-not-reserved', `reserved ${totals(reservation.lines)} for lines ${totals(order.lines)}`, 'adjust the stock by the difference');
  }
  if (order.status === 'CANCELLED') {
    if (kept > 0 || open.length > 0) {
      add('money-not-returned', `cancelled, but the provider still has ${kept} ${order.currency} captured and ${open.length} authorization(s) open`, retry(order.id));
    }
    if (reservation?.status === 'RESERVED') add('stock-not-released', `cancelled, but it still holds ${totals(reservation.lines)}`, retry(order.id));
  }
  if (order.status !== 'PENDING') {
    const wanted = order.status === 'CONFIRMED' ? 'order_confirmed' : 'order_cancelled';
    const told = order.emails.filter((e) => e.template === wanted && (e.status === 'sent' || e.status === 'rejected'));
    if (told.length !== 1) add('not-told', `${told.length} ${wanted} email(s) on record`, retry(order.id));
    const wrong = order.emails.filter((e) => e.template !== wanted);
    if (wrong.length > 0) add('wrong-email', `the customer was also sent ${wrong.map((e) => e.template).join(', ')}`, 'write to the customer to set it right');
  }
  const ours = order.payment?.intentId ? intents.find((i) => i.id === order.payment!.intentId) : null;
  const agrees: Record<string, ProviderIntent['status'][]> = {
    AUTHORIZED: ['requires_capture'],
    CAPTURED: ['succeeded'],
    REFUNDED: ['succeeded'],
    VOIDED: ['canceled'],
    CAPTURE_FAILED: ['canceled', 'requires_capture'],
    DECLINED: ['requires_payment_method', 'canceled'],
  };
  if (ours && order.payment && agrees[order.payment.status] && !agrees[order.payment.status]!.includes(ours.status)) {
    add('record-disagrees', `our payment is ${order.payment.status}, the provider's intent ${ours.id} is ${ours.status}`, 'correct our record from the provider (the provider is right about money)');
  }
  return found;
}

/**
 * Checks the books of finished orders against the provider and the stock, as `npm run reconcile` and the scheduled
 * saga-reconcile do. Orders still within their deadline (or finished less than `graceSeconds` ago) are in flight and
 * only counted; an order past its deadline and still pending is stuck.
 */
export async function reconcile(deps: {
  db: Knex;
  firestore: Firestore;
  provider: PaymentProvider;
  now: Date;
  graceSeconds: number;
  /** Only these orders (tests); otherwise every order created since `since`. */
  orderIds?: string[];
  since?: Date;
}): Promise<ReconcileReport> {
  const { db, now } = deps;
  const since = deps.since ?? new Date(0);
  const query = db('orders').select('id', 'status', 'attention_reason', 'total_amount', 'currency', 'updated_at', 'deadline_at').where('created_at', '>=', since);
  if (deps.orderIds) query.whereIn('id', deps.orderIds);
  const rows = await query;
  const ids = rows.map((r) => r.id as string);
  const [lines, payments, emails] = await Promise.all([
    ids.length ? db('order_lines').whereIn('order_id', ids).select('order_id', 'product_id', 'quantity') : [],
    ids.length ? db('payments').whereIn('order_id', ids).select('order_id', 'status', 'provider_payment_id') : [],
    ids.length ? db('notifications').whereIn('order_id', ids).where({ channel: 'email' }).select('order_id', 'template', 'status') : [],
  ]);
  const intentsByOrder = new Map<string, ProviderIntent[]>();
  const discrepancies: Discrepancy[] = [];
  let intentCount = 0;
  const wanted = new Set(ids);
  for await (const intent of deps.provider.listIntents({ createdFrom: deps.orderIds ? undefined : since })) {
    if (!intent.orderId) continue;
    if (deps.orderIds && !deps.orderIds.includes(intent.orderId)) continue;
    intentCount++;
    if (!wanted.has(intent.orderId)) {
      const held = intent.amountReceived - intent.amountRefunded;
      if (held > 0 || intent.status === 'requires_capture') {
        discrepancies.push({ kind: 'unknown-order-payment', orderId: intent.orderId, detail: `intent ${intent.id} holds money for an order we do not have`, action: 'void or refund it in the provider' });
      }
      continue;
    }
    intentsByOrder.set(intent.orderId, [...(intentsByOrder.get(intent.orderId) ?? []), intent]);
  }
  const reservationSnaps = ids.length ? await deps.firestore.getAll(...ids.map((id) => deps.firestore.collection(collections.reservations).doc(id))) : [];
  const reservations = new Map(reservationSnaps.map((s) => [s.id, s.exists ? ReservationDoc.parse(s.data()) : null]));
  let inFlight = 0;
  for (const row of rows) {
    const order: OrderFacts = {
      id: row.id,
      status: row.status,
      attention: row.attention_reason,
      total: row.total_amount,
      currency: row.currency.trim(),
      updatedAt: row.updated_at,
      deadlineAt: row.deadline_at,
      lines: lines.filter((l) => l.order_id === row.id).map((l) => ({ productId: l.product_id, quantity: l.quantity })),
      payment: payments.filter((p) => p.order_id === row.id).map((p) => ({ status: p.status, intentId: p.provider_payment_id }))[0] ?? null,
      emails: emails.filter((e) => e.order_id === row.id).map((e) => ({ template: e.template, status: e.status })),
    };
    const settling = order.updatedAt.getTime() > now.getTime() - deps.graceSeconds * 1000;
    if (order.status === 'PENDING' && order.attention) {
      discrepancies.push({ kind: 'needs-attention', orderId: order.id, detail: `pending, and needs attention (${order.attention})`, action: retry(order.id) });
      continue;
    }
    if (order.status === 'PENDING') {
      if (order.deadlineAt.getTime() + deps.graceSeconds * 1000 < now.getTime()) {
        discrepancies.push({ kind: 'stuck', orderId: order.id, detail: `still PENDING ${Math.round((now.getTime() - order.deadlineAt.getTime()) / 1000)} s past its deadline`, action: 'check that saga-watchdog runs (Cloud Scheduler) and its log' });
      } else inFlight++;
      continue;
    }
    if (settling) {
      inFlight++;
      continue;
    }
    discrepancies.push(...judgeOrder(order, intentsByOrder.get(order.id) ?? [], reservations.get(order.id) ?? null));
  }
  const productIds = [...new Set(lines.map((l) => l.product_id as string))];
  if (productIds.length > 0) {
    const stock = await deps.firestore.getAll(...productIds.map((id) => deps.firestore.collection(collections.stock).doc(id)));
    for (const s of stock) {
      const available = s.get('available') as number | undefined;
      if (s.exists && (available ?? 0) < 0) discrepancies.push({ kind: 'negative-stock', orderId: null, detail: `${s.id} has ${available} available`, action: 'count the stock and set it with a stock adjustment' });
    }
  }
  return { checked: { orders: rows.length, intents: intentCount, inFlight }, discrepancies };
}
