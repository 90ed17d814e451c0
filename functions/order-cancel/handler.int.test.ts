import { describe, expect, it } from 'vitest';
import { useSagaWorld } from '../../test/support/driver.ts';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder, setOutcome } from '../lib/db/orders.repository.ts';
import { newId } from '../lib/ids.ts';
import { createOrderCancel } from './handler.ts';

const world = useSagaWorld();
const runner = () => stepRunner('order-cancel', createOrderCancel({ db: world.db }));
const history = (orderId: string) => world.db('order_status_history').where({ order_id: orderId }).orderBy('id').pluck('status');

describe('order-cancel against PostgreSQL', () => {
  it('when stock ran out, then the order is CANCELLED (out_of_stock) and order.cancelled says what happens to the money', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const [out] = await runner().deliver(eventOf('inventory.reservation_failed', { orderId: data.orderId, paymentId: newId(), reason: 'out_of_stock', unavailable: [] }, data.orderId));
    expect(out).toMatchObject({ type: 'order.cancelled', data: { reason: 'out_of_stock', moneyBack: 'none', total: data.total, contact: data.contact } });
    expect(await findOrder(world.db, data.orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'out_of_stock' });
  });

  it('when payment.failed is delivered twice, then the order is cancelled once and the same event is announced', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const step = runner();
    const event = eventOf('payment.failed', { orderId: data.orderId, paymentId: newId(), reason: 'payment_declined', declineCode: 'generic_decline' }, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await history(data.orderId)).toEqual(['PENDING', 'CANCELLED']);
  });

  it('when a failure arrives after the order ended, then its final status and reason never change', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    await world.db.transaction(async (trx) => setOutcome(trx, (await findOrder(trx, data.orderId))!, { to: 'CANCELLED', reason: 'timeout', eventId: newId(), now: new Date() }));
    const [out] = await runner().deliver(eventOf('payment.capture_failed', { orderId: data.orderId, paymentId: newId(), reason: 'capture_failed', code: 'x' }, data.orderId));
    expect(out).toMatchObject({ type: 'order.cancelled', data: { reason: 'timeout' } });
    expect(await findOrder(world.db, data.orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'timeout' });
  });

  it('when the order is already CONFIRMED, then it is not cancelled and nothing is announced', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    await world.db.transaction(async (trx) => setOutcome(trx, (await findOrder(trx, data.orderId))!, { to: 'CONFIRMED', reason: null, eventId: newId(), now: new Date() }));
    const out = await runner().deliver(eventOf('payment.failed', { orderId: data.orderId, paymentId: newId(), reason: 'payment_declined', declineCode: 'x' }, data.orderId));
    expect(out).toEqual([]);
    expect((await findOrder(world.db, data.orderId))!.status).toBe('CONFIRMED');
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and nothing changes', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'payment.failed', data: null })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
