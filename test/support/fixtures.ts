import type { Knex } from 'knex';
import type { EventData } from '../../schemas/index.ts';
export { placedData } from './events.ts';
import { insertOrder } from '../../functions/lib/db/orders.repository.ts';
import { createEvent } from '../../functions/lib/events.ts';
import { enqueue } from '../../functions/lib/outbox.ts';

/** Stores a PENDING order with its order.placed in the outbox, as the orders API would. */
export async function storePendingOrder(db: Knex, data: EventData<'order.placed'>, options: { deadlineAt?: Date } = {}): Promise<void> {
  const now = new Date();
  const placed = createEvent('order.placed', data, { correlationId: data.orderId, cause: null, now });
  await db.transaction(async (trx) => {
    await insertOrder(trx, {
      id: data.orderId,
      customerId: data.customerId,
      total: data.total,
      contact: data.contact,
      lines: data.lines.map((l) => ({ ...l, name: l.productId })),
      paymentMethod: data.payment.method,
      deadlineAt: options.deadlineAt ?? new Date(now.getTime() + 600_000),
      placedEventId: placed.metadata.eventId,
      now,
    });
    await enqueue(trx, [placed]);
  });
}
