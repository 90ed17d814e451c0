import { describe, expect, it } from 'vitest';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { database } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder, transitionOrder } from '../lib/db/orders.repository.ts';
import { newId } from '../lib/ids.ts';
import { createOrderCancel } from './handler.ts';

const runner = () => stepRunner('order-cancel', createOrderCancel({ db: database() }));

describe('order-cancel against PostgreSQL', () => {
  it('when the payment was refunded, then the order is CANCELLED with the reason and the refunded amount', async () => {
    const data = placedData();
    await storePendingOrder(data);
    const [out] = await runner().deliver(
      eventOf('payment.refunded', { orderId: data.orderId, paymentId: newId(), refundId: newId(), amount: data.total, reason: 'out_of_stock' }, data.orderId),
    );
    expect(out).toMatchObject({ type: 'order.cancelled', data: { reason: 'out_of_stock', refunded: data.total } });
    expect(await findOrder(database(), data.orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'out_of_stock' });
  });

  it('when payment.failed is delivered twice, then the order is cancelled once and the same event is announced', async () => {
    const data = placedData();
    await storePendingOrder(data);
    const step = runner();
    const event = eventOf('payment.failed', { orderId: data.orderId, paymentId: newId(), reason: 'payment_declined', declineCode: 'generic_decline' }, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await database()('order_status_history').where({ order_id: data.orderId }).pluck('status')).toEqual(['PENDING', 'CANCELLED']);
  });

  it('when the order is already CONFIRMED, then it is not cancelled and nothing is announced', async () => {
    const data = placedData();
    await storePendingOrder(data);
    await transitionOrder(database(), { orderId: data.orderId, to: 'CONFIRMED', reason: null, eventId: newId(), now: new Date() }, () => true);
    const out = await runner().deliver(
      eventOf('payment.failed', { orderId: data.orderId, paymentId: newId(), reason: 'payment_declined', declineCode: 'x' }, data.orderId),
    );
    expect(out).toEqual([]);
    expect((await findOrder(database(), data.orderId))!.status).toBe('CONFIRMED');
  });

  it('when a message is schema-invalid, then it is acknowledged and nothing changes', async () => {
    await expect(runner().deliver({ type: 'payment.failed', data: null })).resolves.toEqual([]);
  });
});
