import type { Knex } from 'knex';
import type { Envelope, StockLine } from '../../schemas/index.ts';
import { findOrder, orderLines, withOrderLock } from '../lib/db/orders.repository.ts';
import { beginAuthorization, findPaymentByOrder, updatePayment, type PaymentRecord } from '../lib/db/payments.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import { DeadLetterNow, type StepHandler } from '../lib/step.ts';

/** The event that follows a decided authorization: authorized goes on to inventory, declined to cancellation. */
export function authorizationOutcome(payment: PaymentRecord, lines: StockLine[], placed: Envelope<'order.placed'>, now: Date): Envelope {
  const options = { correlationId: placed.metadata.correlationId, cause: placed, now };
  const orderId = payment.orderId;
  if (payment.status === 'DECLINED') {
    return createEvent('payment.failed', { orderId, paymentId: payment.id, reason: 'payment_declined', declineCode: payment.declineCode ?? 'card_declined' }, options);
  }
  return createEvent('payment.authorized', { orderId, paymentId: payment.id, amount: payment.amount, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })) }, options);
}

/**
 * order.placed → payment.authorized | payment.failed. Authorizes what the stored order says (never what the message
 * carries), only while the order is PENDING, under the order's lock. The attempt is recorded before the provider is
 * called, so a crash in between leaves a trace the compensation settles; the idempotency key makes a redelivery
 * replay the same authorization instead of making a second one.
 */
export function createPaymentAuthorize(deps: { db: Knex; provider: PaymentProvider }): StepHandler<'order.placed'> {
  const { db, provider } = deps;
  return async (placed, { now, log, signal }) => {
    const { orderId } = placed.data;
    const order = await findOrder(db, orderId);
    if (!order) throw new DeadLetterNow(`order ${orderId} does not exist; an order.placed that matches no order is never charged`);
    const started = await beginAuthorization(db, {
      id: stableId(orderId, 'payment'),
      orderId,
      amount: order.total,
      paymentMethod: order.paymentMethod ?? placed.data.payment.method,
      now,
    });
    if (!started) {
      log.info({ status: order.status }, 'the order ended before its payment was authorized; nothing to authorize');
      return [];
    }
    return withOrderLock(db, orderId, async (trx, locked) => {
      const payment = (await findPaymentByOrder(trx, orderId))!;
      const lines = await orderLines(trx, orderId);
      if (payment.status !== 'AUTHORIZING') {
        log.info({ paymentStatus: payment.status }, 'authorization already decided; announcing it again');
        return locked!.status === 'PENDING' ? [authorizationOutcome(payment, lines, placed, now)] : [];
      }
      if (locked!.status !== 'PENDING') {
        log.info({ status: locked!.status }, 'the order ended while its authorization was pending; payment-release settles it');
        return [];
      }
      const result = await provider.authorize(
        { idempotencyKey: `authorize:${orderId}`, amount: payment.amount, paymentMethod: payment.paymentMethod, orderId },
        { signal },
      );
      const decided: PaymentRecord =
        result.status === 'authorized'
          ? { ...payment, status: 'AUTHORIZED', intentId: result.intentId }
          : { ...payment, status: 'DECLINED', intentId: result.intentId, declineCode: result.declineCode };
      await updatePayment(trx, payment.id, { status: decided.status, intentId: decided.intentId, declineCode: decided.declineCode, now });
      log.info({ paymentId: payment.id, status: decided.status, declineCode: decided.declineCode }, 'authorization recorded');
      return [authorizationOutcome(decided, lines, placed, now)];
    });
  };
}
