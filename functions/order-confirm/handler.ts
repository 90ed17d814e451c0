import type { Knex } from 'knex';
import { transitionOrder } from '../lib/db/orders.repository.ts';
import { createEvent } from '../lib/events.ts';
import type { StepHandler } from '../lib/step.ts';

/** inventory.reserved → order.confirmed: a PENDING order becomes CONFIRMED; a redelivery re-announces it. */
export function createOrderConfirm(deps: { db: Knex }): StepHandler<'inventory.reserved'> {
  return async (reserved, { now, log }) => {
    const { orderId, lines } = reserved.data;
    const result = await transitionOrder(
      deps.db,
      { orderId, to: 'CONFIRMED', reason: null, eventId: reserved.metadata.eventId, now },
      (current) => current.status === 'PENDING',
    );
    if (!result) throw new Error(`order ${orderId} is not in the database yet`);
    const { order, applied } = result;
    if (order.status !== 'CONFIRMED') {
      log.error({ status: order.status }, 'stock was reserved for an order that is no longer pending');
      return [];
    }
    if (applied) log.info('order confirmed');
    return [
      createEvent(
        'order.confirmed',
        { orderId, customerId: order.customerId, total: order.total, lines, contact: order.contact },
        { correlationId: orderId, cause: reserved, now },
      ),
    ];
  };
}
