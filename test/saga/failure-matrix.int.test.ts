import { describe, expect, it } from 'vitest';
import type { FunctionName } from '../../schemas/index.ts';
import { getOrderView } from '../../functions/lib/db/orders.repository.ts';
import { createDriver, moneyOf, useSagaWorld, type Fault } from '../support/driver.ts';
import { emailsTo, eventually, seedProduct, stockOf } from '../support/saga.ts';

const world = useSagaWorld();

/** Orders that exercise a step: the happy path, stock running out after authorization, a capture the provider refuses. */
const scenarios = {
  happy: { stock: 5, quantity: 2, method: 'pm_card_visa', status: 'CONFIRMED', reason: null, money: { authorizations: 1, captures: 1, voids: 0, refunds: 0 }, stockAfter: 3, email: /confirmed/ },
  outOfStock: { stock: 1, quantity: 2, method: 'pm_card_visa', status: 'CANCELLED', reason: 'out_of_stock', money: { authorizations: 1, captures: 0, voids: 1, refunds: 0 }, stockAfter: 1, email: /cancelled/ },
  captureFails: { stock: 5, quantity: 2, method: 'pm_card_captureFails', status: 'CANCELLED', reason: 'capture_failed', money: { authorizations: 1, captures: 0, voids: 0, refunds: 0 }, stockAfter: 5, email: /cancelled/ },
} as const;
type Money = { authorizations: number; captures: number; voids: number; refunds: number };
type Scenario = (typeof scenarios)[keyof typeof scenarios];

/** Which order exercises each step. */
const stepScenario: Partial<Record<FunctionName, Scenario>> = {
  'payment-authorize': scenarios.happy,
  'inventory-reserve': scenarios.happy,
  'payment-capture': scenarios.happy,
  'order-confirm': scenarios.happy,
  'notification-send': scenarios.happy,
  'order-cancel': scenarios.outOfStock,
  'payment-release': scenarios.outOfStock,
  'inventory-release': scenarios.captureFails,
};

/**
 * A late message of a forward step arrives after the deadline cancelled the order: it must undo its own effect and
 * never change the final status. What the money looks like then, per step.
 */
const afterTimeout: Partial<Record<FunctionName, Money>> = {
  'payment-authorize': { authorizations: 0, captures: 0, voids: 0, refunds: 0 },
  'inventory-reserve': { authorizations: 1, captures: 0, voids: 1, refunds: 0 },
  'payment-capture': { authorizations: 1, captures: 0, voids: 1, refunds: 0 },
  'order-confirm': { authorizations: 1, captures: 1, voids: 0, refunds: 1 },
  'order-cancel': { authorizations: 1, captures: 0, voids: 1, refunds: 0 },
};

async function expectFinal(orderId: string, email: string, expected: { status: string; reason: string | null; money: Money; stock: { product: string; available: number }; email: RegExp }) {
  const order = (await getOrderView(world.db, orderId))!;
  expect({ status: order.status, reason: order.cancellationReason }).toEqual({ status: expected.status, reason: expected.reason });
  const { captured: _sum, ...money } = await moneyOf(world, orderId);
  expect(money).toEqual(expected.money);
  expect(await stockOf(expected.stock.product)).toBe(expected.stock.available);
  const mails = await eventually(() => emailsTo(email), (m) => m.length > 0, 10_000);
  await new Promise((r) => setTimeout(r, 200));
  expect((await emailsTo(email)).map((m) => m.subject)).toEqual([expect.stringMatching(expected.email)]);
  expect(mails).toHaveLength(1);
  return order;
}

const faults: Fault[] = ['transient', 'permanent', 'slow', 'twice', 'concurrent', 'late'];

describe.each(Object.keys(stepScenario) as FunctionName[])('%s in the failure matrix', (step) => {
  const scenario = stepScenario[step]!;

  it.each(faults)(`when ${step} meets a %s fault, then every effect happens exactly once and the books balance`, async (fault) => {
    const product = await seedProduct({ available: scenario.stock, price: 1250 });
    const driver = createDriver(world, { faults: { [step]: fault } });
    const { orderId, contact } = await driver.place({ items: [{ productId: product, quantity: scenario.quantity }], method: scenario.method });
    await driver.settle();
    let expected: { status: string; reason: string | null; money: Money; email: RegExp } = { status: scenario.status, reason: scenario.reason, money: scenario.money, email: scenario.email };

    if (fault === 'permanent') {
      // The step gave up: the message is kept as a dead letter and the order needs attention until it is replayed.
      const [letter] = await world.db('dead_letters').where({ order_id: orderId, function: step, status: 'open' });
      expect(letter).toMatchObject({ cause: 'max_attempts', attempts: 5, last_error: expect.stringMatching(/injected permanent failure/) });
      expect((await getOrderView(world.db, orderId))!.status).toBe('NEEDS_ATTENTION');
      expect((await driver.reconcile([orderId])).discrepancies.map((d) => d.kind)).toContain('needs-attention');
      driver.heal(step);
      await driver.replay(letter.id);
      await driver.settle();
    }
    if (fault === 'late') {
      // Held back until the deadline has cancelled the order; then it arrives.
      const pending = (await getOrderView(world.db, orderId))!.status === 'PENDING';
      if (pending) {
        const deadline = new Date(Date.now() + 601_000);
        expect((await driver.watchdog(deadline)).timedOut).toContain(orderId);
        expected = { status: 'CANCELLED', reason: 'timeout', money: afterTimeout[step]!, email: /cancelled/ };
      }
      await driver.settle();
      driver.release();
      await driver.settle();
    }

    const order = await expectFinal(orderId, contact.email, { ...expected, stock: { product, available: expected.reason === 'timeout' ? scenario.stock : scenario.stockAfter } });
    expect(order.attention).toBeNull();
    expect((await driver.reconcile([orderId])).discrepancies).toEqual([]);
  });
});
