import type { Knex } from 'knex';
import type { CancellationReason, Envelope } from '../../schemas/index.ts';
import { withOrderLock } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { cancelledEvent, cancelOrder } from '../lib/order-events.ts';
import { DeadLetterNow, type StepHandler } from '../lib/step.ts';

type Failure = 'payment.failed' | 'inventory.reservation_failed' | 'payment.capture_failed';

/** Why an order is cancelled, read from the failure that ends its saga. */
export function cancellationReasonOf(event: Envelope<Failure>): CancellationReason {
  switch (event.type) {
    case 'payment.failed':
      return 'payment_declined';
    case 'inventory.reservation_failed':
      return 'out_of_stock';
    case 'payment.capture_failed':
      return 'capture_failed';
    default: {
      const unreachable: never = event;
      throw new Error(`unexpected event ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * payment.failed | inventory.reservation_failed | payment.capture_failed → order.cancelled. The decision comes first:
 * a PENDING order becomes CANCELLED under its lock, and order.cancelled starts the compensations (payment-release
 * gives the money back, inventory-release the stock) and tells the customer. A redelivery announces it again.
 */
export function createOrderCancel(deps: { db: Knex }): StepHandler<Failure> {
  return async (event, { now, log }) => {
    const { orderId } = event.data;
    const reason = cancellationReasonOf(event);
    return withOrderLock(deps.db, orderId, async (trx, order) => {
      if (!order) throw new DeadLetterNow(`order ${orderId} does not exist; nothing to cancel`);
      const payment = await findPaymentByOrder(trx, orderId);
      switch (order.status) {
        case 'PENDING': {
          const cancelled = await cancelOrder(trx, order, payment, { reason, cause: event, now });
          log.info({ reason, moneyBack: cancelled.data.moneyBack }, 'order cancelled');
          return [cancelled];
        }
        case 'CANCELLED':
          return [cancelledEvent(order, payment, { cause: event, now })];
        case 'CONFIRMED':
          log.error({ reason }, 'a failure arrived for an order already confirmed; it stays confirmed');
          return [];
        default: {
          const unreachable: never = order.status;
          throw new Error(`unknown order status ${String(unreachable)}`);
        }
      }
    });
  };
}
