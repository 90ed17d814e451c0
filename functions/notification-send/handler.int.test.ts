import { describe, expect, it } from 'vitest';
import { textsTo, useSagaWorld } from '../../test/support/driver.ts';
import { placedData } from '../../test/support/fixtures.ts';
import { emailsTo, eventually, stack, unique } from '../../test/support/saga.ts';
import { eventOf, stepRunner } from '../../test/support/step.ts';
import { PermanentDeliveryError } from '../lib/notify/delivery.ts';
import { createSmtpSender, type SendEmail } from '../lib/notify/email.ts';
import { createHttpSmsSender, type SendSms } from '../lib/notify/sms.ts';
import { createNotificationSend } from './handler.ts';

const world = useSagaWorld();
const smtp = () => createSmtpSender({ url: `smtp://127.0.0.1:${stack.smtpPort}`, from: 'test@saga-commerce.dev', timeoutMs: 3000 });
const sms = () => createHttpSmsSender({ baseUrl: world.smsUrl, timeoutMs: 2000 });
const runner = (over: { sendEmail?: SendEmail; sendSms?: SendSms; maxSmsPerDay?: number } = {}) =>
  stepRunner('notification-send', createNotificationSend({ db: world.db, sendEmail: over.sendEmail ?? smtp(), sendSms: over.sendSms ?? sms(), leaseMs: 20_000, maxSmsPerDay: over.maxSmsPerDay ?? 1000 }));
const confirmed = (data: ReturnType<typeof placedData>) =>
  eventOf('order.confirmed', { orderId: data.orderId, customerId: data.customerId, total: data.total, lines: [{ productId: 'p', quantity: 1 }], contact: data.contact }, data.orderId);
const phone = () => `+44770090${Math.floor(1000 + Math.random() * 8999)}`;

describe('notification-send against maildev (SMTP), PostgreSQL and an SMS sink', () => {
  it('when an order is confirmed with a phone, then one email and one SMS go out and both are announced', async () => {
    const data = placedData({ contact: { email: `${unique('n')}@example.com`, phone: phone() } });
    const out = await runner().deliver(confirmed(data));
    expect(out.map((e) => (e.data as { channel: string }).channel)).toEqual(['email', 'sms']);
    expect(await eventually(() => emailsTo(data.contact.email), (m) => m.length === 1)).toHaveLength(1);
    expect(await textsTo(world, data.contact.phone!)).toHaveLength(1);
  });

  it('when the same event is delivered twice at the same moment, then the send is claimed once and one email goes out', async () => {
    const data = placedData();
    const step = runner();
    const event = eventOf('order.cancelled', { orderId: data.orderId, customerId: data.customerId, reason: 'payment_declined', moneyBack: 'none', total: data.total, contact: data.contact }, data.orderId);
    const results = await Promise.allSettled([step.deliver(event), step.deliver(event)]);
    // One delivery sends; the other finds the claim and fails, to be redelivered and announce it then.
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    await step.deliver(event);
    await new Promise((r) => setTimeout(r, 300));
    const mails = await emailsTo(data.contact.email);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/cancelled/)]);
  });

  it('when the mail server refuses the address for good, then that is recorded and announced, and the order is not touched', async () => {
    const data = placedData();
    const refuse: SendEmail = async () => {
      throw new PermanentDeliveryError('the mail server refused the message: 550 no such user');
    };
    const [out] = await runner({ sendEmail: refuse }).deliver(confirmed(data));
    expect(out).toMatchObject({ type: 'notification.failed', data: { channel: 'email', error: expect.stringMatching(/550/) } });
    expect(await world.db('notifications').where({ order_id: data.orderId }).first()).toMatchObject({ status: 'rejected' });
    await expect(runner().deliver(confirmed(data))).resolves.toHaveLength(1);
    expect(await emailsTo(data.contact.email)).toEqual([]);
  });

  it('when SMS fails, then the email still goes out, and the redelivery sends only the SMS', async () => {
    const data = placedData({ contact: { email: `${unique('n')}@example.com`, phone: phone() } });
    let smsDown = true;
    const flaky: SendSms = async (message, options) => {
      if (smsDown) throw new Error('SMS provider answered 503');
      return sms()(message, options);
    };
    const step = runner({ sendSms: flaky });
    await expect(step.deliver(confirmed(data))).rejects.toThrow(/sms: SMS provider answered 503/);
    expect(await eventually(() => emailsTo(data.contact.email), (m) => m.length === 1)).toHaveLength(1);
    smsDown = false;
    await step.deliver(confirmed(data));
    expect(await emailsTo(data.contact.email)).toHaveLength(1);
    expect(await textsTo(world, data.contact.phone!)).toHaveLength(1);
  });

  it('when a message is schema-invalid, then it goes to the dead-letter topic and nothing is sent', async () => {
    const step = runner();
    await expect(step.deliver({ type: 'order.confirmed', data: { contact: { phone: '+447700900999' } } })).resolves.toEqual([]);
    expect(step.deadLetters).toEqual([expect.objectContaining({ cause: 'poison' })]);
    expect(await textsTo(world, '+447700900999')).toEqual([]);
  });

  it('when a customer has had the day’s limit of text messages, then one more order is told by email only, and the SMS is recorded as refused', async () => {
    const customerId = unique('chatty');
    const orders = [0, 1, 2].map(() => placedData({ customerId, contact: { email: `${unique('n')}@example.com`, phone: phone() } }));
    const step = runner({ maxSmsPerDay: 2 });
    const first = await step.deliver(confirmed(orders[0]!));
    const second = await step.deliver(confirmed(orders[1]!));
    expect([...first, ...second].map((e) => e.type)).toEqual(['notification.sent', 'notification.sent', 'notification.sent', 'notification.sent']);
    const third = await step.deliver(confirmed(orders[2]!));
    expect(third).toEqual([
      expect.objectContaining({ type: 'notification.sent', data: expect.objectContaining({ channel: 'email' }) }),
      expect.objectContaining({ type: 'notification.failed', data: expect.objectContaining({ channel: 'sms', error: expect.stringMatching(/limit of 2 text messages a day/) }) }),
    ]);
    expect(await textsTo(world, orders[2]!.contact.phone!)).toEqual([]);
    expect(await eventually(() => emailsTo(orders[2]!.contact.email), (m) => m.length === 1)).toHaveLength(1);
    // Redelivered, the refusal stands: nothing is sent twice or late.
    expect((await step.deliver(confirmed(orders[2]!))).map((e) => e.type)).toEqual(['notification.sent', 'notification.failed']);
    expect(await textsTo(world, orders[2]!.contact.phone!)).toEqual([]);
  });
});
