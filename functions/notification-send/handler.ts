import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import { findSent, recordSent } from '../lib/db/notifications.repository.ts';
import { createEvent } from '../lib/events.ts';
import { stableId } from '../lib/ids.ts';
import type { SendEmail } from '../lib/notify/email.ts';
import type { SendSms } from '../lib/notify/sms.ts';
import type { StepHandler } from '../lib/step.ts';
import { render } from './templates.ts';

type Channel = 'email' | 'sms';

/** Where the customer hears about an order: always email, and SMS when a phone number was given. */
export function channelsFor(contact: { email: string; phone?: string }): { channel: Channel; to: string }[] {
  return [{ channel: 'email', to: contact.email }, ...(contact.phone ? [{ channel: 'sms' as const, to: contact.phone }] : [])];
}

/**
 * order.confirmed | order.cancelled → notification.sent per channel. A message recorded as sent for this event is
 * not sent again; a crash between sending and recording can repeat it, and the email's Message-ID stays the same.
 */
export function createNotificationSend(deps: { db: Knex; sendEmail: SendEmail; sendSms: SendSms }): StepHandler<'order.confirmed' | 'order.cancelled'> {
  const { db } = deps;
  return async (event, { now, log }) => {
    const { orderId, contact } = event.data;
    const eventId = event.metadata.eventId;
    const message = render(event);
    const events: Envelope[] = [];
    for (const { channel, to } of channelsFor(contact)) {
      let sent = await findSent(db, eventId, channel);
      if (sent) {
        log.info({ channel }, 'already sent; not sending again');
      } else {
        const providerMessageId =
          channel === 'email'
            ? await deps.sendEmail({ to, subject: message.subject, text: message.text, messageId: `<${eventId}@saga-commerce.dev>` })
            : await deps.sendSms({ to, body: message.sms, idempotencyKey: `${eventId}:sms` });
        await recordSent(db, { id: stableId(eventId, channel), orderId, eventId, channel, template: message.template, recipient: to, providerMessageId, now });
        sent = { providerMessageId };
        log.info({ channel, template: message.template }, 'notification sent');
      }
      events.push(
        createEvent(
          'notification.sent',
          { orderId, template: message.template, channel, providerMessageId: sent.providerMessageId },
          { correlationId: orderId, cause: event, now, key: `${message.template}/${channel}` },
        ),
      );
    }
    return events;
  };
}
