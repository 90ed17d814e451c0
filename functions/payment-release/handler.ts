import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import { markAttention, refreshAttention, withOrderLock, type OrderRecord } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder, recordRefund, updatePayment, type PaymentRecord } from '../lib/db/payments.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import { DeadLetterNow, type StepHandler } from '../lib/step.ts';

/** The next thing to do for a cancelled order's money, given its payment as it stands. */
export type MoneyBackStep = 'nothing' | 'resolve-authorization' | 'void' | 'refund' | 'announce-voided' | 'announce-refunded';

/**
 * Nothing was taken: nothing to do. An authorization whose outcome we never recorded (a crash mid-call) is resolved
 * first; an open authorization is voided (no refund, no fee); a capture is refunded; what is done is announced again.
 */
export function decideMoneyBack(payment: PaymentRecord | null): MoneyBackStep {
  if (!payment) return 'nothing';
  switch (payment.status) {
    case 'DECLINED':
      return 'nothing';
    case 'AUTHORIZING':
      return 'resolve-authorization';
    case 'AUTHORIZED':
    case 'CAPTURE_FAILED':
      return 'void';
    case 'CAPTURED':
      return 'refund';
    case 'VOIDED':
      return 'announce-voided';
    case 'REFUNDED':
      return 'announce-refunded';
    default: {
      const unreachable: never = payment.status;
      throw new Error(`unknown payment status ${String(unreachable)}`);
    }
  }
}

/**
 * order.cancelled → payment.voided | payment.refunded: give a cancelled order's money back, once, under the order's
 * lock (so no capture can follow). The provider is the judge of what happened: a void that finds the money already
 * captured becomes a refund. When the provider refuses for good, the order is parked NEEDS_ATTENTION with an
 * alert, and `POST /v1/admin/orders/{id}/retry` runs this again with a fresh idempotency key.
 */
export function createPaymentRelease(deps: { db: Knex; provider: PaymentProvider }): StepHandler<'order.cancelled'> {
  const { db, provider } = deps;
  return async (cancelled, { now, log, signal }) => {
    const { orderId } = cancelled.data;
    const options = { correlationId: orderId, cause: cancelled, now };
    return withOrderLock(db, orderId, async (trx, order) => {
      if (!order) throw new DeadLetterNow(`order ${orderId} does not exist; no money to give back`);
      if (order.status !== 'CANCELLED') {
        log.error({ status: order.status }, 'order.cancelled for an order that is not cancelled; leaving its money alone');
        return [];
      }
      const refused = async (payment: PaymentRecord, what: 'void' | 'refund', code: string): Promise<Envelope[]> => {
        await updatePayment(trx, payment.id, { releaseError: `${what} refused: ${code}`, releaseAttempts: payment.releaseAttempts + 1, now });
        await markAttention(trx, order, { reason: 'release_failed', detail: `the provider refused the ${what}: ${code}`, now });
        alert(log, { orderId, paymentId: payment.id, what, code, amount: payment.amount });
        return [];
      };
      const resolved = async (): Promise<void> => {
        if (order.attention?.reason === 'release_failed') await refreshAttention(trx, order, now);
      };
      let payment = await findPaymentByOrder(trx, orderId);
      for (let step = 0; step < 3; step++) {
        const next = decideMoneyBack(payment);
        switch (next) {
          case 'nothing':
            log.info({ paymentStatus: payment?.status ?? null }, 'no money was taken; nothing to give back');
            return [];
          case 'announce-voided':
            return [createEvent('payment.voided', { orderId, paymentId: payment!.id, amount: payment!.amount }, options)];
          case 'announce-refunded':
            return [createEvent('payment.refunded', { orderId, paymentId: payment!.id, refundId: payment!.refund!.id, amount: payment!.refund!.amount, reason: order.cancellationReason! }, options)];
          case 'resolve-authorization': {
            // Replaying the authorization with its own key and parameters tells what the lost attempt did.
            const p = payment!;
            const result = await provider.authorize({ idempotencyKey: `authorize:${orderId}`, amount: p.amount, paymentMethod: p.paymentMethod, orderId }, { signal });
            payment =
              result.status === 'authorized'
                ? { ...p, status: 'AUTHORIZED', intentId: result.intentId }
                : { ...p, status: 'DECLINED', intentId: result.intentId, declineCode: result.declineCode };
            await updatePayment(trx, p.id, { status: payment.status, intentId: payment.intentId, declineCode: payment.declineCode, now });
            log.info({ paymentStatus: payment.status }, 'resolved an authorization whose outcome was never recorded');
            break;
          }
          case 'void': {
            const p = payment!;
            const result = await provider.void({ idempotencyKey: `void:${p.id}:${p.releaseAttempts}`, intentId: p.intentId! }, { signal });
            if (result.status === 'refused') return refused(p, 'void', result.code);
            if (result.status === 'already_captured') {
              payment = { ...p, status: 'CAPTURED' };
              await updatePayment(trx, p.id, { status: 'CAPTURED', now });
              log.warn('the authorization had been captured after all; refunding it');
              break;
            }
            await updatePayment(trx, p.id, { status: 'VOIDED', releaseError: null, now });
            await resolved();
            log.info({ paymentId: p.id }, 'authorization voided');
            return [createEvent('payment.voided', { orderId, paymentId: p.id, amount: p.amount }, options)];
          }
          case 'refund': {
            const p = payment!;
            const result = await provider.refund({ idempotencyKey: `refund:${p.id}:${p.releaseAttempts}`, intentId: p.intentId!, amount: p.amount }, { signal });
            if (result.status === 'refused') return refused(p, 'refund', result.code);
            const refundId = stableId(p.id, 'refund');
            await recordRefund(trx, { id: refundId, paymentId: p.id, amount: p.amount, providerRefundId: result.refundId, reason: order.cancellationReason!, now });
            await resolved();
            log.info({ paymentId: p.id, providerRefundId: result.refundId }, 'payment refunded');
            return [createEvent('payment.refunded', { orderId, paymentId: p.id, refundId, amount: p.amount, reason: order.cancellationReason! }, options)];
          }
          default: {
            const unreachable: never = next;
            throw new Error(`unknown step ${String(unreachable)}`);
          }
        }
      }
      throw new Error(`the money of order ${orderId} did not settle in three steps; retrying`);
    });
  };
}

/** An alert-severity entry: a person must look at money the provider refuses to give back. */
function alert(log: Logger, details: { orderId: string; paymentId: string; what: string; code: string; amount: OrderRecord['total'] }): void {
  log.alert({ ...details, needsAttention: true }, `the provider refused the ${details.what} of order ${details.orderId}; it needs attention (POST /v1/admin/orders/${details.orderId}/retry)`);
}
