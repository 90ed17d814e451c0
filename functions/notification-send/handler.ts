import type { Knex } from 'knex';
import type { Envelope, NotificationChannel } from '../../schemas/index.ts';
import { claimNotification, markRejected, markSent, releaseClaim, smsCountSince, type NotificationKey } from '../lib/db/notifications.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import { PermanentDeliveryError } from '../lib/notify/delivery.ts';
import type { SendEmail } from '../lib/notify/email.ts';
import type { SendSms } from '../lib/notify/sms.ts';
import type { StepHandler } from '../lib/step.ts';
import { render } from './templates.ts';

const DAY_MS = 24 * 3_600_000;

/** Where the customer hears about an order: always email, and SMS when a phone number was given. */
export function channelsFor(contact: { email: string; phone?: string }): { channel: NotificationChannel; to: string }[] {
  return [{ channel: 'email', to: contact.email }, ...(contact.phone ? [{ channel: 'sms' as const, to: contact.phone }] : [])];
}

/** What became of one channel in this delivery: announced (sent or refused for good), or to be retried. */
type ChannelOutcome = { kind: 'announce'; event: Envelope } | { kind: 'retry'; error: string };

/**
 * order.confirmed | order.cancelled → notification.sent | notification.failed per channel: one message per order,
 * template and channel, ever. Each send is claimed atomically before it goes out, so two deliveries at once (or a
 * redelivery beside a send that outlived its deadline) never both send; the claim's lease outlasts the slowest send.
 * Channels are independent: an SMS failure does not hold back the email, and an address refused for good is
 * recorded (notification.failed) without undoing the order. A crash between the provider's acceptance and the record
 * can still repeat a message after the lease, with the same Message-ID.
 */
export function createNotificationSend(deps: {
  db: Knex;
  sendEmail: SendEmail;
  sendSms: SendSms;
  leaseMs: number;
  /** Text messages one customer may be sent per 24 hours; past it they hear by email only. */
  maxSmsPerDay: number;
}): StepHandler<'order.confirmed' | 'order.cancelled'> {
  const { db } = deps;
  return async (event, { now, log, signal }) => {
    const { orderId, customerId, contact } = event.data;
    const message = render(event);
    const announce = (channel: NotificationChannel, outcome: { providerMessageId: string } | { error: string }): ChannelOutcome => {
      const options = { correlationId: orderId, cause: event, now, key: `${message.template}/${channel}` };
      return {
        kind: 'announce',
        event:
          'providerMessageId' in outcome
            ? createEvent('notification.sent', { orderId, template: message.template, channel, providerMessageId: outcome.providerMessageId }, options)
            : createEvent('notification.failed', { orderId, template: message.template, channel, error: outcome.error }, options),
      };
    };

    const deliver = async ({ channel, to }: { channel: NotificationChannel; to: string }): Promise<ChannelOutcome> => {
      const key: NotificationKey = { orderId, template: message.template, channel };
      const held = await claimNotification(db, { ...key, id: stableId(orderId, message.template, channel), eventId: event.metadata.eventId, customerId, recipient: to, leaseMs: deps.leaseMs, now });
      if (held?.status === 'sent') return announce(channel, { providerMessageId: held.providerMessageId });
      if (held?.status === 'rejected') return announce(channel, { error: held.error });
      if (held?.status === 'sending') return { kind: 'retry', error: `${channel}: another delivery is sending it (claimed until ${held.claimedUntil.toISOString()})` };
      if (channel === 'sms' && (await smsCountSince(db, customerId, new Date(now.getTime() - DAY_MS), orderId)) >= deps.maxSmsPerDay) {
        const error = `the customer's limit of ${deps.maxSmsPerDay} text messages a day is reached; they hear by email`;
        await markRejected(db, { ...key, error, now });
        log.warn({ channel, customerId }, 'daily SMS limit reached; SMS not sent');
        return announce(channel, { error });
      }
      try {
        const idempotency = stableId(orderId, message.template, channel);
        const providerMessageId =
          channel === 'email'
            ? await deps.sendEmail({ to, subject: message.subject, text: message.text, messageId: `<${idempotency}@saga-commerce.dev>` }, { signal })
            : await deps.sendSms({ to, body: message.sms, idempotencyKey: idempotency }, { signal });
        await markSent(db, { ...key, providerMessageId, now: new Date() });
        log.info({ channel, template: message.template }, 'notification sent');
        return announce(channel, { providerMessageId });
      } catch (err) {
        const error = (err as Error).message ?? String(err);
        if (err instanceof PermanentDeliveryError) {
          await markRejected(db, { ...key, error, now: new Date() });
          log.warn({ channel, error }, 'notification refused for good; recorded, the order stands');
          return announce(channel, { error });
        }
        await releaseClaim(db, { ...key, error, now: new Date() }).catch(() => undefined);
        return { kind: 'retry', error: `${channel}: ${error}` };
      }
    };

    const outcomes = await Promise.all(channelsFor(contact).map(deliver));
    const retries = outcomes.flatMap((o) => (o.kind === 'retry' ? [o.error] : []));
    if (retries.length > 0) throw new Error(`not every channel went out; retrying: ${retries.join('; ')}`);
    return outcomes.flatMap((o) => (o.kind === 'announce' ? [o.event] : []));
  };
}
