import { describe, expect, it } from 'vitest';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { database } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder } from '../lib/db/orders.repository.ts';
import { createOrderConfirm } from './handler.ts';

const runner = () => stepRunner('order-confirm', createOrderConfirm({ db: database() }));
const history = (orderId: string) => database()('order_status_history').where({ order_id: orderId }).orderBy('id').pluck('status');

describe('order-confirm against PostgreSQL', () => {
  it('when stock is reserved for a pending order, then it is CONFIRMED and order.confirmed carries the contact', async () => {
    const data = placedData({ contact: { email: 'x@example.com', phone: '+4915112345678' } });
    await storePendingOrder(data);
    const [out] = await runner().deliver(eventOf('inventory.reserved', { orderId: data.orderId, lines: [{ productId: 'p-00001', quantity: 1 }] }, data.orderId));
    expect(out).toMatchObject({ type: 'order.confirmed', data: { customerId: data.customerId, total: data.total, contact: data.contact } });
    expect((await findOrder(database(), data.orderId))!.status).toBe('CONFIRMED');
  });

  it('when inventory.reserved is delivered twice, then the status changes once and the same event is announced', async () => {
    const data = placedData();
    await storePendingOrder(data);
    const step = runner();
    const event = eventOf('inventory.reserved', { orderId: data.orderId, lines: [{ productId: 'p-00001', quantity: 1 }] }, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await history(data.orderId)).toEqual(['PENDING', 'CONFIRMED']);
  });

  it('when a message is schema-invalid, then it is acknowledged and nothing changes', async () => {
    await expect(runner().deliver({ type: 'inventory.reserved', data: { orderId: 'nope' } })).resolves.toEqual([]);
  });
});
