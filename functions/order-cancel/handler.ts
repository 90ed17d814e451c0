import type { Knex } from 'knex';
import type { Envelope, Money } from '../../schemas/index.ts';
import { transitionOrder } from '../lib/db/orders.repository.ts';
import { createEvent } from '../lib/events.ts';
import type { StepHandler } from '../lib/step.ts';

/** Why the order is cancelled and what was refunded, read from the compensating event. */
export function cancellationOf(event: Envelope<'payment.failed' | 'payment.refunded'>): {
  reason: 'payment_declined' | 'out_of_stock';
  refunded?: Money;
} {
  switch (event.type) {
    case 'payment.failed':
      return { reason: event.data.reason };
    case 'payment.refunded':
      return { reason: event.data.reason, refunded: event.data.amount };
    default: {
      const unreachable: never = event;
      throw new Error(`unexpected event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** payment.failed | payment.refunded → order.cancelled: a PENDING order becomes CANCELLED with its reason. */
export function createOrderCancel(deps: { db: Knex }): StepHandler<'payment.failed' | 'payment.refunded'> {
  return async (event, { now, log }) => {
    const { orderId } = event.data;
    const { reason, refunded } = cancellationOf(event);
    const result = await transitionOrder(
      deps.db,
      { orderId, to: 'CANCELLED', reason, eventId: event.metadata.eventId, now },
      (current) => current.status === 'PENDING',
    );
    if (!result) throw new Error(`order ${orderId} is not in the database yet`);
    const { order, applied } = result;
    if (order.status !== 'CANCELLED') {
      log.error({ status: order.status, reason }, 'cannot cancel an order that is already final');
      return [];
    }
    if (applied) log.info({ reason }, 'order cancelled');
    return [
      createEvent(
        'order.cancelled',
        {
          orderId,
          customerId: order.customerId,
          reason: order.cancellationReason ?? reason,
          ...(refunded ? { refunded } : {}),
          contact: order.contact,
        },
        { correlationId: orderId, cause: event, now },
      ),
    ];
  };
}
