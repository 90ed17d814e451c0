import { describe, expect, it } from 'vitest';
import { moneyOf, runStep, useSagaWorld } from '../../test/support/driver.ts';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder, getOrderView, withOrderLock } from '../lib/db/orders.repository.ts';
import { beginAuthorization, findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { stableId } from '../lib/ids.ts';
import { cancelOrder } from '../lib/order-events.ts';
import { createPaymentRelease } from './handler.ts';

const world = useSagaWorld();
const runner = () => stepRunner('payment-release', createPaymentRelease({ db: world.db, provider: world.provider }));

/** An order taken as far as `stage`, then cancelled; returns the order.cancelled its compensations follow from. */
async function cancelledAt(stage: 'authorized' | 'captured', method = 'pm_card_visa') {
  const data = placedData({ payment: { method } });
  await storePendingOrder(world.db, data);
  await runStep(world, 'payment-authorize', eventOf('order.placed', data, data.orderId));
  const payment = (await findPaymentByOrder(world.db, data.orderId))!;
  if (stage === 'captured') {
    await runStep(world, 'payment-capture', eventOf('inventory.reserved', { orderId: data.orderId, paymentId: payment.id, lines: [{ productId: 'p-00001', quantity: 1 }] }, data.orderId));
  }
  const cancelled = await withOrderLock(world.db, data.orderId, async (trx, order) =>
    cancelOrder(trx, order!, await findPaymentByOrder(trx, data.orderId), { reason: 'timeout', cause: null, now: new Date() }),
  );
  return { data, cancelled };
}

describe('payment-release against PostgreSQL and the Stripe simulator', () => {
  it('when a cancelled order’s payment is only authorized, then the authorization is voided (no refund), once', async () => {
    const { data, cancelled } = await cancelledAt('authorized');
    expect(cancelled.data.moneyBack).toBe('void');
    const step = runner();
    const [first] = await step.deliver(cancelled);
    const [second] = await step.deliver(cancelled);
    expect(first).toMatchObject({ type: 'payment.voided', data: { amount: data.total } });
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1, voids: 1, refunds: 0, captures: 0 });
  });

  it('when a cancelled order was captured, then it is refunded in full, once', async () => {
    const { data, cancelled } = await cancelledAt('captured');
    expect(cancelled.data.moneyBack).toBe('refund');
    const step = runner();
    await step.deliver(cancelled);
    const [again] = await step.deliver(cancelled);
    expect(again).toMatchObject({ type: 'payment.refunded', data: { amount: data.total, reason: 'timeout' } });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ captures: 1, refunds: 1 });
    expect((await getOrderView(world.db, data.orderId))!.payment).toMatchObject({ status: 'REFUNDED', refund: { amount: data.total } });
  });

  it('when the provider refuses the refund, then the order needs attention with an alert, and a retry (new key) refunds it', async () => {
    const { data, cancelled } = await cancelledAt('captured', 'pm_card_refundFailsOnce');
    await expect(runner().deliver(cancelled)).resolves.toEqual([]);
    expect(await getOrderView(world.db, data.orderId)).toMatchObject({ status: 'NEEDS_ATTENTION', attention: { reason: 'release_failed', sagaStatus: 'CANCELLED' } });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ refunds: 0 });
    const [out] = await runner().deliver(cancelled);
    expect(out!.type).toBe('payment.refunded');
    expect(await getOrderView(world.db, data.orderId)).toMatchObject({ status: 'CANCELLED', attention: null });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ refunds: 1 });
  });

  it('when an authorization was attempted but its outcome never recorded (a crash), then it is found with its own key and voided', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    await world.provider.authorize({ idempotencyKey: `authorize:${data.orderId}`, amount: data.total, paymentMethod: 'pm_card_visa', orderId: data.orderId });
    await beginAuthorization(world.db, { id: stableId(data.orderId, 'payment'), orderId: data.orderId, amount: data.total, paymentMethod: 'pm_card_visa', now: new Date() });
    const cancelled = await withOrderLock(world.db, data.orderId, async (trx, order) => cancelOrder(trx, order!, await findPaymentByOrder(trx, data.orderId), { reason: 'timeout', cause: null, now: new Date() }));
    const [out] = await runner().deliver(cancelled);
    expect(out!.type).toBe('payment.voided');
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1, voids: 1 });
  });

  it('when the order is not cancelled, then its money is left alone', async () => {
    const { data, cancelled } = await cancelledAt('authorized');
    await world.db('orders').where({ id: data.orderId }).update({ status: 'CONFIRMED' });
    await expect(runner().deliver(cancelled)).resolves.toEqual([]);
    expect((await findOrder(world.db, data.orderId))!.status).toBe('CONFIRMED');
    expect(await moneyOf(world, data.orderId)).toMatchObject({ voids: 0 });
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and no money moves', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'order.cancelled', data: {} })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
