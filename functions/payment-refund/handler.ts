import type { Knex } from 'knex';
import { findPaymentByOrder, recordRefund, type PaymentRecord } from '../lib/db/payments.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import type { StepHandler } from '../lib/step.ts';

/** What compensation a payment needs: refund a capture, re-announce a refund already made, or nothing to undo. */
export function decideRefund(payment: PaymentRecord | null): 'refund' | 'announce' | 'nothing' {
  if (!payment || payment.status === 'DECLINED') return 'nothing';
  return payment.status === 'REFUNDED' ? 'announce' : 'refund';
}

/** inventory.reservation_failed → payment.refunded: give the customer their money back, once. */
export function createPaymentRefund(deps: { db: Knex; provider: PaymentProvider }): StepHandler<'inventory.reservation_failed'> {
  const { db, provider } = deps;
  return async (failed, { now, log }) => {
    const { orderId, reason } = failed.data;
    let payment = await findPaymentByOrder(db, orderId);
    const decision = decideRefund(payment);
    if (decision === 'nothing') {
      log.warn({ paymentStatus: payment?.status ?? null }, 'no captured payment to refund');
      return [];
    }
    if (decision === 'refund') {
      const captured = payment!;
      const { refundId } = await provider.refund({
        idempotencyKey: `refund:${captured.id}`,
        chargeId: captured.providerChargeId!,
        amount: captured.amount,
      });
      await recordRefund(db, {
        id: stableId(captured.id, 'refund'),
        paymentId: captured.id,
        amount: captured.amount,
        providerRefundId: refundId,
        reason,
        now,
      });
      payment = (await findPaymentByOrder(db, orderId))!;
      log.info({ paymentId: captured.id, providerRefundId: refundId }, 'payment refunded');
    }
    const refund = payment!.refund!;
    return [
      createEvent(
        'payment.refunded',
        { orderId, paymentId: payment!.id, refundId: refund.id, amount: refund.amount, reason },
        { correlationId: orderId, cause: failed, now },
      ),
    ];
  };
}
