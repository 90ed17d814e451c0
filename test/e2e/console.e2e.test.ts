import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../schemas/index.ts';
import { stableId } from '../../functions/lib/ids.ts';
import { launchBrowser } from '../../scripts/browser.ts';
import { faultControl } from '../../scripts/stack/fault-proxy.ts';
import { database, eventually, finalOrder, paymentsOf, placeOrder, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

/** With CONSOLE_SCREENSHOTS=1 (npm run docs:console) the pictures of the main views go to docs/; otherwise beside the logs. */
const shots = process.env.CONSOLE_SCREENSHOTS ? resolve(import.meta.dirname, '../../docs') : join(stack.logDir, 'console');
mkdirSync(shots, { recursive: true });

const pubsub = new PubSub({ projectId: stack.project });
const faults = faultControl(stack.faults);
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const token = await tokenFor(unique('ops'), { role: 'admin' });
  await page.goto(`${stack.api}/console/#token=${token}`);
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await pubsub.close();
});

const row = (orderId: string) => page.locator(`tr[data-order="${orderId}"]`);
const waterfallRow = (name: string) => page.getByTestId('waterfall').locator('.row', { hasText: name });

describe('the saga console in Chromium', () => {
  it('when an order is placed through the API, then it appears in the live list, and opened it shows its saga as a waterfall and a timeline', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('cora'));
    const orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }], contact: { email: `${unique('cora')}@example.com`, phone: '+14155550142' } });
    await row(orderId).waitFor({ timeout: 10_000 });
    await finalOrder(orderId, token);
    await row(orderId).click();
    await page.getByTestId('order-detail').getByText(orderId).waitFor();
    for (const step of ['POST /v1/orders', 'payment-authorize process order.placed', 'inventory-reserve process payment.authorized', 'payment-capture process inventory.reserved', 'order-confirm process payment.captured', 'notification-send process order.confirmed']) {
      await waterfallRow(step).first().waitFor({ timeout: 15_000 });
    }
    await expect.poll(() => row(orderId).locator('.badge').textContent()).toBe('CONFIRMED');
    await page.getByTestId('timeline').locator('li.notification', { hasText: 'email order_confirmed sent' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'console-order.png') });
    await page.getByTestId('show-calls').check();
    expect(await page.getByTestId('waterfall').locator('.row[data-kind="call"]', { hasText: 'payment provider call' }).count()).toBeGreaterThan(0);
    expect(await page.getByTestId('waterfall').locator('.row[data-kind="call"]', { hasText: /^pg\.query/ }).count()).toBeGreaterThan(0);
    await page.getByTestId('timeline').locator('li.notification', { hasText: 'text message order_confirmed sent' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('show-calls').uncheck();
  });

  it('when the payment provider hangs, then an operator cancels a stuck order from the console, and its failed attempts and compensations show in its waterfall and timeline', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('dora'));
    await faults.set('payment', 'hang');
    let orderId = '';
    try {
      orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }] });
      await row(orderId).click();
      await page.getByTestId('order-detail').getByText(orderId).waitFor();
      await page.getByTestId('waterfall').locator('.row[data-failed="true"]', { hasText: 'payment-authorize process order.placed' }).first().waitFor({ timeout: 20_000 });
      await page.getByTestId('cancel-reason').fill('customer asked by phone');
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await page.getByTestId('order-detail').locator('.badge', { hasText: 'CANCELLED' }).waitFor({ timeout: 10_000 });
    } finally {
      await faults.set('payment', 'pass');
    }
    const compensations = page.getByTestId('waterfall').locator('.row[data-kind="compensation"][data-failed="false"]');
    for (const step of ['payment-release process order.cancelled', 'inventory-release process order.cancelled']) await compensations.filter({ hasText: step }).first().waitFor({ timeout: 30_000 });
    await page.getByTestId('timeline').locator('li.operator', { hasText: 'order.cancel — “customer asked by phone”' }).waitFor();
    expect((await finalOrder(orderId, token)).cancellationReason).toBe('cancelled_by_shop');
    await page.screenshot({ path: join(shots, 'console-compensation.png') });
  });

  it('when a dead letter waits, then the operator sees it, a bulk dry run says what a replay would do again, and a replay sends the order on', async () => {
    const product = await seedProduct({ available: 5 });
    const token = await tokenFor(unique('edna'));
    await faults.set('payment', 'hang');
    let orderId = '';
    const letter = () => page.locator('tr[data-letter]', { hasText: orderId.slice(0, 8) });
    try {
      orderId = await placeOrder(token, { items: [{ productId: product, quantity: 1 }] });
      const placed = (await database()('outbox').where({ event_id: stableId(orderId, 'order.placed') }).first('envelope')).envelope as Envelope;
      // As Pub/Sub does after the last attempt: the order's order.placed goes to payment-authorize's dead-letter topic.
      await pubsub.topic('dead-letter.payment-authorize').publishMessage({
        json: placed,
        attributes: { type: placed.type, eventId: placed.metadata.eventId, correlationId: orderId, sagaDeadLetterSourceTopic: 'order.placed' },
      });
      await page.locator('[data-tab="dead-letters"]').click();
      await letter().waitFor({ timeout: 15_000 });
      await page.getByTestId('select-productId').fill(product);
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByTestId('dry-run').getByText(/1 × authorize/).waitFor();
      await page.screenshot({ path: join(shots, 'console-dead-letters.png') });
    } finally {
      await faults.set('payment', 'pass');
    }
    await letter().getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('notice').getByText('order.placed replayed').waitFor();
    await letter().waitFor({ state: 'detached', timeout: 10_000 });
    expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CONFIRMED' });
    expect(await paymentsOf(orderId)).toMatchObject({ authorizations: 1, captures: 1 });
  });

  it('when the fault switch declines every card, then a new order is cancelled and its compensations run; switched back, cards pass again', async () => {
    await page.locator('[data-tab="faults"]').click();
    await page.getByTestId('decline-rate').selectOption('1');
    await eventually(async () => (await (await fetch(`${stack.payment}/_simulator/faults`)).json()) as { declineRate: number }, (f) => f.declineRate === 1, 5_000);
    try {
      await page.screenshot({ path: join(shots, 'console-faults.png') });
      const token = await tokenFor(unique('fay'));
      const orderId = await placeOrder(token, { items: [{ productId: await seedProduct({ available: 3 }), quantity: 1 }] });
      expect(await finalOrder(orderId, token)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment_declined' });
    } finally {
      await page.getByTestId('decline-rate').selectOption('0');
      await eventually(async () => (await (await fetch(`${stack.payment}/_simulator/faults`)).json()) as { declineRate: number }, (f) => f.declineRate === 0, 5_000);
    }
  });
});
