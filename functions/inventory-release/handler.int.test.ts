import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../schemas/index.ts';
import { runStep, useSagaWorld } from '../../test/support/driver.ts';
import { placedData } from '../../test/support/fixtures.ts';
import { firestore, seedProduct, stockOf } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { newId } from '../lib/ids.ts';
import { createInventoryRelease } from './handler.ts';

const reserve = () => ({ deliver: (event: Envelope) => runStep(world, 'inventory-reserve', event) });
const world = useSagaWorld();
const release = () => stepRunner('inventory-release', createInventoryRelease({ firestore: firestore() }));

function order(productId: string, quantity: number) {
  const data = placedData();
  const paymentId = newId();
  return {
    authorized: eventOf('payment.authorized', { orderId: data.orderId, paymentId, amount: data.total, lines: [{ productId, quantity }] }, data.orderId),
    cancelled: eventOf('order.cancelled', { orderId: data.orderId, customerId: data.customerId, reason: 'capture_failed', moneyBack: 'void', total: data.total, contact: data.contact }, data.orderId),
  };
}

describe('inventory-release against the Firestore emulator', () => {
  it('when a cancelled order holds stock, then it goes back once, even when order.cancelled comes twice', async () => {
    const product = await seedProduct({ available: 5 });
    const { authorized, cancelled } = order(product, 2);
    await reserve().deliver(authorized);
    expect(await stockOf(product)).toBe(3);
    const step = release();
    const [first] = await step.deliver(cancelled);
    const [second] = await step.deliver(cancelled);
    expect(first).toMatchObject({ type: 'inventory.released', data: { lines: [{ productId: product, quantity: 2 }] } });
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await stockOf(product)).toBe(5);
  });

  it('when the cancellation comes before the reservation, then the late reservation takes no stock', async () => {
    const product = await seedProduct({ available: 5 });
    const { authorized, cancelled } = order(product, 2);
    await expect(release().deliver(cancelled)).resolves.toEqual([]);
    await expect(reserve().deliver(authorized)).resolves.toEqual([]);
    expect(await stockOf(product)).toBe(5);
  });

  it('when the release and a reservation race, then the stock ends where it started', async () => {
    const product = await seedProduct({ available: 5 });
    const { authorized, cancelled } = order(product, 2);
    await Promise.all([reserve().deliver(authorized), release().deliver(cancelled), release().deliver(cancelled)]);
    await release().deliver(cancelled);
    expect(await stockOf(product)).toBe(5);
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and no stock moves', async () => {
    const step = release();
    await expect(step.deliver({ type: 'order.cancelled', data: { orderId: 'x' } })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
  });
});
