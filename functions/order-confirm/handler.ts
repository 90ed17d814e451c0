import type { Knex } from 'knex';
import { orderLines, setOutcome, withOrderLock } from '../lib/db/orders.repository.ts';
import { confirmedEvent } from '../lib/order-events.ts';
import { DeadLetterNow, type StepHandler } from '../lib/step.ts';

/**
 * payment.captured → order.confirmed: a PENDING order becomes CONFIRMED; a redelivery announces it again. A capture
 * that arrives after the order was cancelled changes nothing here: payment-release, which runs after the
 * cancellation under the same lock, finds the payment captured and refunds it.
 */
export function createOrderConfirm(deps: { db: Knex }): StepHandler<'payment.captured'> {
  return async (captured, { now, log }) => {
    const { orderId } = captured.data;
    return withOrderLock(deps.db, orderId, async (trx, order) => {
      if (!order) throw new DeadLetterNow(`order ${orderId} does not exist; nothing to confirm`);
      const lines = await orderLines(trx, orderId);
      switch (order.status) {
        case 'PENDING': {
          const event = confirmedEvent(order, lines, { cause: captured, now });
          await setOutcome(trx, order, { to: 'CONFIRMED', reason: null, eventId: event.metadata.eventId, now });
          log.info('order confirmed');
          return [event];
        }
        case 'CONFIRMED':
          return [confirmedEvent(order, lines, { cause: captured, now })];
        case 'CANCELLED':
          log.warn({ reason: order.cancellationReason }, 'payment captured for an order already cancelled; payment-release refunds it');
          return [];
        default: {
          const unreachable: never = order.status;
          throw new Error(`unknown order status ${String(unreachable)}`);
        }
      }
    });
  };
}
