import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import { findPaymentByOrder, recordCharge, type PaymentRecord } from '../lib/db/payments.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import type { StepHandler } from '../lib/step.ts';

/** The event that follows a recorded payment: charged goes on to inventory, declined goes to compensation. */
export function paymentOutcome(payment: PaymentRecord, placed: Envelope<'order.placed'>, now: Date): Envelope {
  const options = { correlationId: placed.metadata.correlationId, cause: placed, now };
  const { orderId, lines } = placed.data;
  if (payment.status === 'DECLINED') {
    return createEvent(
      'payment.failed',
      { orderId, paymentId: payment.id, reason: 'payment_declined', declineCode: payment.declineCode ?? 'card_declined' },
      options,
    );
  }
  return createEvent(
    'payment.charged',
    { orderId, paymentId: payment.id, amount: payment.amount, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })) },
    options,
  );
}

/**
 * order.placed → payment.charged | payment.failed. The provider call carries the order's idempotency key, so a
 * redelivery after a crash cannot charge twice; a recorded payment is answered from the database.
 */
export function createPaymentCharge(deps: { db: Knex; provider: PaymentProvider }): StepHandler<'order.placed'> {
  const { db, provider } = deps;
  return async (placed, { now, log }) => {
    const { orderId, total, payment } = placed.data;
    let record = await findPaymentByOrder(db, orderId);
    if (!record) {
      const result = await provider.charge({ idempotencyKey: `charge:${orderId}`, amount: total, token: payment.token, orderId });
      record = await recordCharge(db, {
        id: stableId(orderId, 'payment'),
        orderId,
        amount: total,
        provider: provider.name,
        chargeId: result.status === 'succeeded' ? result.chargeId : null,
        declineCode: result.status === 'declined' ? result.declineCode : null,
        now,
      });
      log.info({ paymentId: record.id, status: record.status, declineCode: record.declineCode }, 'payment recorded');
    } else {
      log.info({ paymentId: record.id, status: record.status }, 'payment already recorded; republishing its outcome');
    }
    return [paymentOutcome(record, placed, now)];
  };
}
