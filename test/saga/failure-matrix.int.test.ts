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
  const { captured: _sum, intents: _intents, ...money } = await moneyOf(world, orderId);
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

describe('around the matrix', () => {
  it('when the relay publishes the same outbox row twice and the sweeper a third time, then the saga runs once', async () => {
    const product = await seedProduct({ available: 5 });
    const driver = createDriver(world);
    const { orderId, contact } = await driver.place({ items: [{ productId: product, quantity: 1 }] });
    const [row] = await world.db('outbox').where({ topic: 'order.placed' }).whereRaw("envelope->'data'->>'orderId' = ?", [orderId]);
    await driver.publish(row.envelope);
    await driver.publish(row.envelope);
    await driver.settle();
    await expectFinal(orderId, contact.email, { ...scenarios.happy, money: scenarios.happy.money, stock: { product, available: 4 } });
    expect((await driver.reconcile([orderId])).discrepancies).toEqual([]);
  });

  it('when a message is lost on the way (the emulator gave up on it), then the watchdog nudges the saga to its end', async () => {
    const product = await seedProduct({ available: 5 });
    const driver = createDriver(world, { faults: { 'payment-capture': 'late' } });
    const { orderId, contact } = await driver.place({ items: [{ productId: product, quantity: 1 }] });
    await driver.settle();
    driver.heal('payment-capture');
    // The held inventory.reserved is never released: as if Pub/Sub had dropped it.
    const nudged = await driver.watchdog(new Date(Date.now() + 60_000), { stallSeconds: 30 });
    expect(nudged.nudged.stalled).toContain(orderId);
    await driver.settle();
    await expectFinal(orderId, contact.email, { ...scenarios.happy, stock: { product, available: 4 } });
    expect((await driver.reconcile([orderId])).discrepancies).toEqual([]);
  });

  it('when the provider hangs past the deadline, then the order is cancelled (timeout) and the authorization it may hold is found and voided', async () => {
    const product = await seedProduct({ available: 5 });
    const setFaults = (body: object) => fetch(`${world.simulatorUrl}/_simulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const driver = createDriver(world, { timeoutMs: 800, maxAttempts: 2 });
    await setFaults({ latencyMs: 3000 });
    try {
      const { orderId, contact } = await driver.place({ items: [{ productId: product, quantity: 1 }] });
      await driver.settle();
      expect((await getOrderView(world.db, orderId))!.status).toBe('NEEDS_ATTENTION');
      // The first, abandoned call still lands at the provider: an authorization we never recorded.
      await eventually(() => moneyOf(world, orderId), (m) => m.authorizations === 1, 10_000);
      expect((await driver.watchdog(new Date(Date.now() + 601_000))).timedOut).toContain(orderId);
      await setFaults({ latencyMs: 0 });
      await driver.settle();
      // The operator replays the authorization that was given up: it arrives after the order ended and changes nothing.
      const [letter] = await world.db('dead_letters').where({ order_id: orderId, function: 'payment-authorize', status: 'open' });
      await driver.replay(letter.id);
      await driver.settle();
      const order = (await getOrderView(world.db, orderId))!;
      expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'timeout', attention: null });
      const money = await moneyOf(world, orderId);
      expect(money.captures).toBe(0);
      expect(money.voids).toBe(money.authorizations);
      expect(await stockOf(product)).toBe(5);
      expect(await eventually(() => emailsTo(contact.email), (m) => m.length === 1)).toHaveLength(1);
      expect((await driver.reconcile([orderId])).discrepancies).toEqual([]);
    } finally {
      await setFaults({ latencyMs: 0 });
    }
  });
});
