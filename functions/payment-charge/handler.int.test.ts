import { describe, expect, it } from 'vitest';
import { usePaymentSimulator, placedData } from '../../test/support/fixtures.ts';
import { database } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { findPaymentByOrder } from '../lib/db/payments.repository.ts';
import { createPaymentCharge } from './handler.ts';

const sim = usePaymentSimulator();
const charges = async (orderId: string) =>
  ((await (await fetch(`${sim.url}/v1/charges?orderId=${orderId}`)).json()) as { data: unknown[] }).data;
const runner = () => stepRunner('payment-charge', createPaymentCharge({ db: database(), provider: sim.provider }));

describe('payment-charge against PostgreSQL and the payment simulator', () => {
  it('when the card is approved, then the payment is CAPTURED and payment.charged carries the lines', async () => {
    const data = placedData();
    const [out] = await runner().deliver(eventOf('order.placed', data, data.orderId));
    expect(out).toMatchObject({ type: 'payment.charged', data: { orderId: data.orderId, amount: data.total, lines: [{ productId: 'p-00001', quantity: 1 }] } });
    expect(await findPaymentByOrder(database(), data.orderId)).toMatchObject({ status: 'CAPTURED', amount: data.total });
  });

  it('when the card is declined, then payment.failed says payment_declined with the decline code', async () => {
    const data = placedData({ payment: { token: 'tok_chargeDeclinedInsufficientFunds' } });
    const [out] = await runner().deliver(eventOf('order.placed', data, data.orderId));
    expect(out).toMatchObject({ type: 'payment.failed', data: { reason: 'payment_declined', declineCode: 'insufficient_funds' } });
    expect(await charges(data.orderId)).toEqual([]);
  });

  it('when the provider fails transiently, then the delivery fails (to be retried) and the retry charges once', async () => {
    const data = placedData({ payment: { token: 'tok_transientFailure' } });
    const step = runner();
    const event = eventOf('order.placed', data, data.orderId);
    await expect(step.deliver(event)).rejects.toThrow(/503/);
    expect(await findPaymentByOrder(database(), data.orderId)).toBeNull();
    const [out] = await step.deliver(event);
    expect(out!.type).toBe('payment.charged');
    expect(await charges(data.orderId)).toHaveLength(1);
  });

  it('when order.placed is delivered twice, then the card is charged once and the same event is published twice', async () => {
    const data = placedData();
    const step = runner();
    const event = eventOf('order.placed', data, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(await charges(data.orderId)).toHaveLength(1);
  });

  it('when a message is schema-invalid, then it is acknowledged without a charge or an event', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'order.placed', data: { orderId: 'x' } })).resolves.toEqual([]);
    expect(step.published).toEqual([]);
  });
});
