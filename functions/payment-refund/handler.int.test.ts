import { describe, expect, it } from 'vitest';
import { placedData, usePaymentSimulator } from '../../test/support/fixtures.ts';
import { database } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findPaymentByOrder, recordCharge } from '../lib/db/payments.repository.ts';
import { stableId } from '../lib/ids.ts';
import { createPaymentRefund } from './handler.ts';

const sim = usePaymentSimulator();

async function chargedOrder(token = 'tok_visa') {
  const data = placedData({ payment: { token } });
  const result = await sim.provider.charge({ idempotencyKey: data.orderId, amount: data.total, token, orderId: data.orderId });
  const paymentId = stableId(data.orderId, 'payment');
  await recordCharge(database(), {
    id: paymentId,
    orderId: data.orderId,
    amount: data.total,
    provider: sim.provider.name,
    chargeId: result.status === 'succeeded' ? result.chargeId : null,
    declineCode: result.status === 'declined' ? result.declineCode : null,
    now: new Date(),
  });
  return { orderId: data.orderId, paymentId, failed: eventOf('inventory.reservation_failed', { orderId: data.orderId, paymentId, reason: 'out_of_stock', unavailable: [] }, data.orderId) };
}

const runner = () => stepRunner('payment-refund', createPaymentRefund({ db: database(), provider: sim.provider }));

describe('payment-refund against PostgreSQL and the payment simulator', () => {
  it('when a captured order cannot be fulfilled, then it is refunded in full and payment.refunded follows', async () => {
    const { orderId, failed } = await chargedOrder();
    const [out] = await runner().deliver(failed);
    expect(out).toMatchObject({ type: 'payment.refunded', data: { orderId, amount: { amount: 2500, currency: 'EUR' }, reason: 'out_of_stock' } });
    expect(await findPaymentByOrder(database(), orderId)).toMatchObject({ status: 'REFUNDED', refund: { amount: { amount: 2500 } } });
  });

  it('when the failure is delivered twice, then there is one refund and the same event is announced again', async () => {
    const { orderId, failed } = await chargedOrder();
    const step = runner();
    const [first] = await step.deliver(failed);
    const [second] = await step.deliver(failed);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    const payment = await findPaymentByOrder(database(), orderId);
    const refunds = ((await (await fetch(`${sim.url}/v1/refunds?charge=${payment!.providerChargeId}`)).json()) as { data: unknown[] }).data;
    expect(refunds).toHaveLength(1);
  });

  it('when the payment was declined, then there is nothing to undo', async () => {
    const { failed } = await chargedOrder('tok_chargeDeclined');
    expect(await runner().deliver(failed)).toEqual([]);
  });

  it('when a message is schema-invalid, then it is acknowledged and nothing is refunded', async () => {
    await expect(runner().deliver({ type: 'inventory.reservation_failed', data: {} })).resolves.toEqual([]);
  });
});
