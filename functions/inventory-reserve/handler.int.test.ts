import { describe, expect, it } from 'vitest';
import { firestore, seedProduct, stockOf } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { newId } from '../lib/ids.ts';
import { createInventoryReserve } from './handler.ts';

const charged = (lines: { productId: string; quantity: number }[]) => {
  const orderId = newId();
  return eventOf('payment.authorized', { orderId, paymentId: newId(), amount: { amount: 100, currency: 'EUR' }, lines }, orderId);
};
const runner = () => stepRunner('inventory-reserve', createInventoryReserve({ firestore: firestore() }));

describe('inventory-reserve against the Firestore emulator', () => {
  it('when every line is in stock, then all are reserved and stock goes down', async () => {
    const a = await seedProduct({ available: 5 });
    const b = await seedProduct({ available: 2 });
    const [out] = await runner().deliver(charged([{ productId: a, quantity: 3 }, { productId: b, quantity: 2 }]));
    expect(out!.type).toBe('inventory.reserved');
    expect([await stockOf(a), await stockOf(b)]).toEqual([2, 0]);
  });

  it('when one line is short, then nothing is reserved and the failure names the line and the payment', async () => {
    const a = await seedProduct({ available: 5 });
    const b = await seedProduct({ available: 1 });
    const event = charged([{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }]);
    const [out] = await runner().deliver(event);
    expect(out).toMatchObject({
      type: 'inventory.reservation_failed',
      data: { paymentId: event.data.paymentId, reason: 'out_of_stock', unavailable: [{ productId: b, requested: 2, available: 1 }] },
    });
    expect([await stockOf(a), await stockOf(b)]).toEqual([5, 1]);
  });

  it('when one product stands on two lines, then their total is what must be in stock', async () => {
    const a = await seedProduct({ available: 5 });
    const [short] = await runner().deliver(charged([{ productId: a, quantity: 3 }, { productId: a, quantity: 3 }]));
    expect(short).toMatchObject({ type: 'inventory.reservation_failed', data: { unavailable: [{ productId: a, requested: 6, available: 5 }] } });
    const [fits] = await runner().deliver(charged([{ productId: a, quantity: 2 }, { productId: a, quantity: 3 }]));
    expect(fits!.type).toBe('inventory.reserved');
    expect(await stockOf(a)).toBe(0);
  });

  it('when payment.authorized is delivered twice, then stock is reserved once and the same outcome is announced', async () => {
    const a = await seedProduct({ available: 5 });
    const step = runner();
    const event = charged([{ productId: a, quantity: 2 }]);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await stockOf(a)).toBe(3);
  });

  it('when more orders compete than there is stock, then exactly the stock is reserved and never oversold', async () => {
    const scarce = await seedProduct({ available: 4 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => runner().deliver(charged([{ productId: scarce, quantity: 1 }]))));
    const types = outcomes.map(([e]) => e!.type);
    expect(types.filter((t) => t === 'inventory.reserved')).toHaveLength(4);
    expect(types.filter((t) => t === 'inventory.reservation_failed')).toHaveLength(6);
    expect(await stockOf(scarce)).toBe(0);
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and no stock moves', async () => {
    const a = await seedProduct({ available: 5 });
    const step = runner();
    await expect(step.deliver({ type: 'payment.authorized', data: { lines: [{ productId: a, quantity: 1 }] } })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
    expect(await stockOf(a)).toBe(5);
  });
});
