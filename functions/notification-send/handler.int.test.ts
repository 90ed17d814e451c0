import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placedData } from '../../test/support/fixtures.ts';
import { database, emailsTo, eventually, stack, unique } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { createSmtpSender } from '../lib/notify/email.ts';
import { createHttpSmsSender } from '../lib/notify/sms.ts';
import { startSmsSink } from '../../scripts/providers/sms-sink.ts';
import { createNotificationSend } from './handler.ts';

let sink: Awaited<ReturnType<typeof startSmsSink>>;
beforeAll(async () => {
  sink = await startSmsSink(0);
});
afterAll(() => sink.close());

const runner = () =>
  stepRunner(
    'notification-send',
    createNotificationSend({
      db: database(),
      sendEmail: createSmtpSender({ url: `smtp://127.0.0.1:${stack.smtpPort}`, from: 'test@saga-commerce.dev' }),
      sendSms: createHttpSmsSender({ baseUrl: sink.url, timeoutMs: 2000 }),
    }),
  );
const texts = async (to: string) => ((await (await fetch(`${sink.url}/v1/messages?to=${encodeURIComponent(to)}`)).json()) as { data: unknown[] }).data;

describe('notification-send against maildev (SMTP), PostgreSQL and an SMS sink', () => {
  it('when an order is confirmed with a phone, then one email and one SMS go out and both are announced', async () => {
    const data = placedData({ contact: { email: `${unique('n')}@example.com`, phone: '+447700900123' } });
    const out = await runner().deliver(
      eventOf('order.confirmed', { orderId: data.orderId, customerId: data.customerId, total: data.total, lines: [{ productId: 'p', quantity: 1 }], contact: data.contact }, data.orderId),
    );
    expect(out.map((e) => (e.data as { channel: string }).channel)).toEqual(['email', 'sms']);
    expect(await eventually(() => emailsTo(data.contact.email), (m) => m.length === 1)).toHaveLength(1);
  });

  it('when order.cancelled is delivered twice, then the customer gets one email', async () => {
    const data = placedData();
    const step = runner();
    const event = eventOf('order.cancelled', { orderId: data.orderId, customerId: data.customerId, reason: 'payment_declined', contact: data.contact }, data.orderId);
    const [first] = await step.deliver(event);
    const [second] = await step.deliver(event);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    await new Promise((r) => setTimeout(r, 300));
    const mails = await emailsTo(data.contact.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/cancelled/);
  });

  it('when a message is schema-invalid, then it is acknowledged and nothing is sent', async () => {
    const before = (await texts('+447700900999')).length;
    await expect(runner().deliver({ type: 'order.confirmed', data: { contact: { phone: '+447700900999' } } })).resolves.toEqual([]);
    expect(await texts('+447700900999')).toHaveLength(before);
  });
});
