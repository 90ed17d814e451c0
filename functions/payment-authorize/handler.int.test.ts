import { describe, expect, it } from 'vitest';
import { moneyOf, useSagaWorld } from '../../test/support/driver.ts';
import { placedData, storePendingOrder } from '../../test/support/fixtures.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { findOrder, setOutcome } from '../lib/db/orders.repository.ts';
import { newId } from '../lib/ids.ts';
import { createPaymentAuthorize } from './handler.ts';

const world = useSagaWorld();
const runner = () => stepRunner('payment-authorize', createPaymentAuthorize({ db: world.db, provider: world.provider }));

describe('payment-authorize against PostgreSQL and the Stripe simulator (through the Stripe SDK)', () => {
  it('when the card is approved, then the stored total is authorized (not captured) and payment.authorized carries the stored lines', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const [out] = await runner().deliver(eventOf('order.placed', data, data.orderId));
    expect(out).toMatchObject({ type: 'payment.authorized', data: { orderId: data.orderId, amount: data.total, lines: [{ productId: 'p-00001', quantity: 1 }] } });
    expect(await findPaymentByOrder(world.db, data.orderId)).toMatchObject({ status: 'AUTHORIZED', amount: data.total, intentId: expect.stringMatching(/^pi_/) });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1, captures: 0 });
  });

  it('when the message carries another amount than the order of record, then the order’s own total is authorized', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const forged = { ...data, total: { amount: 1, currency: 'EUR' } };
    await runner().deliver(eventOf('order.placed', forged, data.orderId));
    expect((await findPaymentByOrder(world.db, data.orderId))!.amount).toEqual(data.total);
  });

  it('when the card is declined, then payment.failed says payment_declined with the decline code', async () => {
    const data = placedData({ payment: { method: 'pm_card_chargeDeclinedInsufficientFunds' } });
    await storePendingOrder(world.db, data);
    const [out] = await runner().deliver(eventOf('order.placed', data, data.orderId));
    expect(out).toMatchObject({ type: 'payment.failed', data: { reason: 'payment_declined', declineCode: 'insufficient_funds' } });
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 0 });
  });

  it('when the provider fails transiently, then it is retried within the call and authorizes once', async () => {
    const data = placedData({ payment: { method: 'pm_card_transientFailure' } });
    await storePendingOrder(world.db, data);
    const [out] = await runner().deliver(eventOf('order.placed', data, data.orderId));
    expect(out!.type).toBe('payment.authorized');
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1 });
  });

  it('when order.placed is delivered twice, then the card is authorized once and the same event is announced twice', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    const step = runner();
    const event = eventOf('order.placed', data, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 1 });
  });

  it('when order.placed names an order that does not exist, then it is dead-lettered at once and nobody is charged', async () => {
    const data = placedData();
    const step = runner();
    await expect(step.deliver(eventOf('order.placed', data, data.orderId))).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'unknown_order' })]);
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 0 });
  });

  it('when the order has already ended, then nothing is authorized', async () => {
    const data = placedData();
    await storePendingOrder(world.db, data);
    await world.db.transaction(async (trx) => setOutcome(trx, (await findOrder(trx, data.orderId))!, { to: 'CANCELLED', reason: 'timeout', eventId: newId(), now: new Date() }));
    await expect(runner().deliver(eventOf('order.placed', data, data.orderId))).resolves.toEqual([]);
    expect(await findPaymentByOrder(world.db, data.orderId)).toBeNull();
    expect(await moneyOf(world, data.orderId)).toMatchObject({ authorizations: 0 });
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic without a charge or an event', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'order.placed', data: { orderId: 'x' } })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
