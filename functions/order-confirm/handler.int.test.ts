import { describe, expect, it } from 'vitest';
import { useSagaWorld } from '../../test/support/driver.ts';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder, setOutcome } from '../lib/db/orders.repository.ts';
import { newId } from '../lib/ids.ts';
import { createOrderConfirm } from './handler.ts';

const world = useSagaWorld();
const runner = () => stepRunner('order-confirm', createOrderConfirm({ db: world.db }));
const history = (orderId: string) => world.db('order_status_history').where({ order_id: orderId }).orderBy('id').pluck('status');
const captured = (data: ReturnType<typeof placedData>) => eventOf('payment.captured', { orderId: data.orderId, paymentId: newId(), amount: data.total }, data.orderId);

describe('order-confirm against PostgreSQL', () => {
  it('when the payment is captured for a pending order, then it is CONFIRMED and order.confirmed carries the stored lines and contact', async () => {
    const data = placedData({ contact: { email: 'x@example.com', phone: '+4915112345678' } });
    await storePendingOrder(world.db, data);
    const [out] = await runner().deliver(captured(data));
    expect(out).toMatchObject({ type: 'order.confirmed', data: { customerId: data.customerId, total: data.total, contact: data.contact, lines: [{ productId: 'p-00001', quantity: 1 }] } });
    expect((await findOrder(world.db, data.orderId))!.status).toBe('CONFIRMED');
  });

  it('when payment.captured is delivered twice, then the status changes once and the same event is announced', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const step = runner();
    const event = captured(data);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await history(data.orderId)).toEqual(['PENDING', 'CONFIRMED']);
  });

  it('when the capture arrives after the order was cancelled, then the order stays CANCELLED and nothing is announced', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    await world.db.transaction(async (trx) => setOutcome(trx, (await findOrder(trx, data.orderId))!, { to: 'CANCELLED', reason: 'timeout', eventId: newId(), now: new Date() }));
    await expect(runner().deliver(captured(data))).resolves.toEqual([]);
    expect(await history(data.orderId)).toEqual(['PENDING', 'CANCELLED']);
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and nothing changes', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'payment.captured', data: { orderId: 'nope' } })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
