import { describe, expect, it } from 'vitest';
import { moneyOf, runStep, useSagaWorld } from '../../test/support/driver.ts';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findOrder, setOutcome } from '../lib/db/orders.repository.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { newId } from '../lib/ids.ts';
import { createPaymentCapture } from './handler.ts';

const world = useSagaWorld();

/** A pending order whose payment is authorized, and the inventory.reserved that asks for its capture. */
async function authorizedOrder(method = 'pm_card_visa') {
  const data = placedData({ payment: { method } });
  await storePendingOrder(world.db, data);
  await runStep(world, 'payment-authorize', eventOf('order.placed', data, data.orderId));
  const payment = (await findPaymentByOrder(world.db, data.orderId))!;
  return { data, reserved: eventOf('inventory.reserved', { orderId: data.orderId, paymentId: payment.id, lines: [{ productId: 'p-00001', quantity: 1 }] }, data.orderId) };
}
const runner = () => stepRunner('payment-capture', createPaymentCapture({ db: world.db, provider: world.provider }));

describe('payment-capture against PostgreSQL and the Stripe simulator', () => {
  it('when stock is reserved, then the authorization is captured once, even when inventory.reserved comes twice', async () => {
    const { data, reserved } = await authorizedOrder();
    const step = runner();
    const [first] = await step.deliver(reserved);
    const [second] = await step.deliver(reserved);
    expect(first).toMatchObject({ type: 'payment.captured', data: { amount: data.total } });
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1, captures: 1, captured: data.total.amount });
  });

  it('when the provider refuses the capture, then payment.capture_failed names the code and nothing is taken', async () => {
    const { data, reserved } = await authorizedOrder('pm_card_captureFails');
    const [out] = await runner().deliver(reserved);
    expect(out).toMatchObject({ type: 'payment.capture_failed', data: { reason: 'capture_failed', code: 'charge_expired_for_capture' } });
    expect(await findPaymentByOrder(world.db, data.orderId)).toMatchObject({ status: 'CAPTURE_FAILED' });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ captures: 0 });
  });

  it('when the order was cancelled before the capture arrived, then nothing is captured and nothing announced', async () => {
    const { data, reserved } = await authorizedOrder();
    await world.db.transaction(async (trx) => setOutcome(trx, (await findOrder(trx, data.orderId))!, { to: 'CANCELLED', reason: 'timeout', eventId: newId(), now: new Date() }));
    await expect(runner().deliver(reserved)).resolves.toEqual([]);
    expect(await moneyOf(world, data.orderId)).toMatchObject({ captures: 0 });
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and nothing is captured', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'inventory.reserved', data: {} })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
