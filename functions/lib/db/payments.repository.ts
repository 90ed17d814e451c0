import type { Knex } from 'knex';
import type { Money, PaymentStatus } from '../../../schemas/index.ts';

/** The payment of one order, with its refund when there is one. */
export interface PaymentRecord {
  id: string;
  orderId: string;
  status: PaymentStatus;
  amount: Money;
  paymentMethod: string;
  /** The provider's PaymentIntent, once authorized (or declined with one). */
  intentId: string | null;
  declineCode: string | null;
  captureError: string | null;
  /** Voids or refunds the provider refused so far; the next attempt uses a new idempotency key. */
  releaseAttempts: number;
  releaseError: string | null;
  refund: { id: string; amount: Money; providerRefundId: string; reason: string } | null;
}

/** A payments row joined with its refund. */
interface PaymentRow {
  id: string;
  order_id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  payment_method: string;
  provider_payment_id: string | null;
  decline_code: string | null;
  capture_error: string | null;
  release_attempts: number;
  release_error: string | null;
  refund_id: string | null;
  refund_amount: number;
  refund_currency: string;
  provider_refund_id: string;
  refund_reason: string;
}

const toRecord = (row: PaymentRow): PaymentRecord => ({
  id: row.id,
  orderId: row.order_id,
  status: row.status,
  amount: { amount: row.amount, currency: row.currency.trim() },
  paymentMethod: row.payment_method,
  intentId: row.provider_payment_id,
  declineCode: row.decline_code,
  captureError: row.capture_error,
  releaseAttempts: row.release_attempts,
  releaseError: row.release_error,
  refund: row.refund_id
    ? {
        id: row.refund_id,
        amount: { amount: row.refund_amount, currency: row.refund_currency.trim() },
        providerRefundId: row.provider_refund_id,
        reason: row.refund_reason,
      }
    : null,
});

/** Loads the payment of an order, or null when no authorization was ever attempted. */
export async function findPaymentByOrder(db: Knex, orderId: string): Promise<PaymentRecord | null> {
  const row: PaymentRow | undefined = await db('payments')
    .leftJoin('refunds', 'refunds.payment_id', 'payments.id')
    .where('payments.order_id', orderId)
    .first(
      'payments.*',
      'refunds.id as refund_id',
      'refunds.amount as refund_amount',
      'refunds.currency as refund_currency',
      'refunds.provider_refund_id',
      'refunds.reason as refund_reason',
    );
  return row ? toRecord(row) : null;
}

/**
 * Records, before the provider is called, that an order's authorization is being attempted — and only while the order
 * is still PENDING. Committed on its own, it survives a crash between the provider's answer and our record of it, so
 * the compensation knows an authorization may exist. Returns the payment as it stands (null: the order has ended).
 */
export async function beginAuthorization(
  db: Knex,
  payment: { id: string; orderId: string; amount: Money; paymentMethod: string; now: Date },
): Promise<PaymentRecord | null> {
  await db.raw(
    `INSERT INTO payments (id, order_id, status, amount, currency, provider, payment_method, created_at, updated_at)
     SELECT ?, ?, 'AUTHORIZING', ?, ?, 'stripe', ?, ?, ?
     WHERE EXISTS (SELECT 1 FROM orders WHERE id = ? AND status = 'PENDING')
     ON CONFLICT (order_id) DO NOTHING`,
    [payment.id, payment.orderId, payment.amount.amount, payment.amount.currency, payment.paymentMethod, payment.now, payment.now, payment.orderId],
  );
  return findPaymentByOrder(db, payment.orderId);
}

/** Moves a payment to a new status with what the provider said (inside the caller's transaction). */
export async function updatePayment(
  trx: Knex,
  paymentId: string,
  change: {
    status?: PaymentStatus;
    intentId?: string | null;
    declineCode?: string | null;
    captureError?: string | null;
    releaseError?: string | null;
    releaseAttempts?: number;
    now: Date;
  },
): Promise<void> {
  await trx('payments')
    .where({ id: paymentId })
    .update({
      ...(change.status ? { status: change.status } : {}),
      ...(change.intentId !== undefined ? { provider_payment_id: change.intentId } : {}),
      ...(change.declineCode !== undefined ? { decline_code: change.declineCode } : {}),
      ...(change.captureError !== undefined ? { capture_error: change.captureError } : {}),
      ...(change.releaseError !== undefined ? { release_error: change.releaseError } : {}),
      ...(change.releaseAttempts !== undefined ? { release_attempts: change.releaseAttempts } : {}),
      updated_at: change.now,
    });
}

/** Records a full refund once and marks the payment REFUNDED (inside the caller's transaction). */
export async function recordRefund(
  trx: Knex,
  refund: { id: string; paymentId: string; amount: Money; providerRefundId: string; reason: string; now: Date },
): Promise<void> {
  await trx('refunds')
    .insert({
      id: refund.id,
      payment_id: refund.paymentId,
      amount: refund.amount.amount,
      currency: refund.amount.currency,
      provider_refund_id: refund.providerRefundId,
      reason: refund.reason,
      created_at: refund.now,
    })
    .onConflict('payment_id')
    .ignore();
  await updatePayment(trx, refund.paymentId, { status: 'REFUNDED', releaseError: null, now: refund.now });
}
