import type { Knex } from 'knex';
import type { Money, PaymentStatus } from '../../../schemas/index.ts';

/** A payment of one order, with its refund when there is one. */
export interface PaymentRecord {
  id: string;
  orderId: string;
  status: PaymentStatus;
  amount: Money;
  providerChargeId: string | null;
  declineCode: string | null;
  refund: { id: string; amount: Money; providerRefundId: string; reason: string } | null;
}

/** Loads the payment of an order, or null when it was never charged. */
export async function findPaymentByOrder(db: Knex, orderId: string): Promise<PaymentRecord | null> {
  const row = await db('payments')
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
  if (!row) return null;
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    amount: { amount: row.amount, currency: row.currency },
    providerChargeId: row.provider_charge_id,
    declineCode: row.decline_code,
    refund: row.refund_id
      ? {
          id: row.refund_id,
          amount: { amount: row.refund_amount, currency: row.refund_currency },
          providerRefundId: row.provider_refund_id,
          reason: row.refund_reason,
        }
      : null,
  };
}

/**
 * Records the provider's answer to a charge once and returns the payment as stored: when another delivery recorded
 * it first, that record wins and is returned.
 */
export async function recordCharge(
  db: Knex,
  payment: { id: string; orderId: string; amount: Money; provider: string; chargeId: string | null; declineCode: string | null; now: Date },
): Promise<PaymentRecord> {
  const inserted = await db('payments')
    .insert({
      id: payment.id,
      order_id: payment.orderId,
      status: payment.chargeId ? 'CAPTURED' : 'DECLINED',
      amount: payment.amount.amount,
      currency: payment.amount.currency,
      provider: payment.provider,
      provider_charge_id: payment.chargeId,
      decline_code: payment.declineCode,
      created_at: payment.now,
      updated_at: payment.now,
    })
    .onConflict('order_id')
    .ignore()
    .returning('id');
  if (inserted.length === 0) return (await findPaymentByOrder(db, payment.orderId))!;
  return {
    id: payment.id,
    orderId: payment.orderId,
    status: payment.chargeId ? 'CAPTURED' : 'DECLINED',
    amount: payment.amount,
    providerChargeId: payment.chargeId,
    declineCode: payment.declineCode,
    refund: null,
  };
}

/** Records a full refund once and marks the payment REFUNDED, in one transaction. */
export async function recordRefund(
  db: Knex,
  refund: { id: string; paymentId: string; amount: Money; providerRefundId: string; reason: string; now: Date },
): Promise<void> {
  await db.transaction(async (trx) => {
    const inserted = await trx('refunds')
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
      .ignore()
      .returning('id');
    if (inserted.length > 0) {
      await trx('payments').where({ id: refund.paymentId }).update({ status: 'REFUNDED', updated_at: refund.now });
    }
  });
}
