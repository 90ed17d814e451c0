import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import { withOrderLock, type OrderRecord } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder, updatePayment, type PaymentRecord } from '../lib/db/payments.repository.ts';
import { createEvent } from '../lib/events.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import { DeadLetterNow, type StepHandler } from '../lib/step.ts';

/** What a capture does, given the order and its payment under the order's lock. */
export type CaptureDecision = 'capture' | 'announce' | 'order-ended' | 'impossible';

/**
 * Capture only an AUTHORIZED payment of a PENDING order; a decided capture is announced again; an order that ended
 * first (cancelled, timed out) is not charged: payment-release voids its authorization.
 */
export function decideCapture(order: OrderRecord, payment: PaymentRecord | null): CaptureDecision {
  if (order.status !== 'PENDING') return 'order-ended';
  if (payment?.status === 'AUTHORIZED') return 'capture';
  if (payment?.status === 'CAPTURED' || payment?.status === 'CAPTURE_FAILED') return 'announce';
  return 'impossible';
}

/** The event that follows a decided capture. */
export function captureOutcome(payment: PaymentRecord, reserved: Envelope<'inventory.reserved'>, now: Date): Envelope {
  const options = { correlationId: reserved.metadata.correlationId, cause: reserved, now };
  return payment.status === 'CAPTURED'
    ? createEvent('payment.captured', { orderId: payment.orderId, paymentId: payment.id, amount: payment.amount }, options)
    : createEvent('payment.capture_failed', { orderId: payment.orderId, paymentId: payment.id, reason: 'capture_failed', code: payment.captureError ?? 'capture_refused' }, options);
}

/**
 * inventory.reserved → payment.captured | payment.capture_failed. The money is taken only now that the stock is
 * held, under the order's lock, with an idempotency key per payment so a redelivery cannot capture twice.
 */
export function createPaymentCapture(deps: { db: Knex; provider: PaymentProvider }): StepHandler<'inventory.reserved'> {
  const { db, provider } = deps;
  return async (reserved, { now, log, signal }) => {
    const { orderId } = reserved.data;
    return withOrderLock(db, orderId, async (trx, order) => {
      if (!order) throw new DeadLetterNow(`order ${orderId} does not exist; nothing to capture`);
      const payment = await findPaymentByOrder(trx, orderId);
      const decision = decideCapture(order, payment);
      switch (decision) {
        case 'order-ended':
          log.info({ status: order.status }, 'the order ended before its capture; not taking the money (payment-release voids the hold)');
          return [];
        case 'impossible':
          log.error({ paymentStatus: payment?.status ?? null }, 'stock is reserved but the payment is not authorized; nothing captured');
          return [];
        case 'announce':
          log.info({ paymentStatus: payment!.status }, 'capture already decided; announcing it again');
          return [captureOutcome(payment!, reserved, now)];
        case 'capture': {
          const result = await provider.capture({ idempotencyKey: `capture:${payment!.id}`, intentId: payment!.intentId!, amount: payment!.amount }, { signal });
          const decided: PaymentRecord =
            result.status === 'captured' ? { ...payment!, status: 'CAPTURED' } : { ...payment!, status: 'CAPTURE_FAILED', captureError: result.code };
          await updatePayment(trx, payment!.id, { status: decided.status, captureError: decided.captureError, now });
          log.info({ paymentId: payment!.id, status: decided.status, code: decided.captureError }, 'capture recorded');
          return [captureOutcome(decided, reserved, now)];
        }
        default: {
          const unreachable: never = decision;
          throw new Error(`unknown decision ${String(unreachable)}`);
        }
      }
    });
  };
}
