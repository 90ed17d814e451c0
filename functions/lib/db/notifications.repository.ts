import type { Knex } from 'knex';

/** A message already sent for an event on a channel, or null. */
export async function findSent(db: Knex, eventId: string, channel: 'email' | 'sms'): Promise<{ providerMessageId: string } | null> {
  const row = await db('notifications').where({ event_id: eventId, channel }).first('provider_message_id');
  return row ? { providerMessageId: row.provider_message_id } : null;
}

/** Records that a message went out; recording the same event and channel twice keeps the first. */
export async function recordSent(
  db: Knex,
  sent: { id: string; orderId: string; eventId: string; channel: 'email' | 'sms'; template: string; recipient: string; providerMessageId: string; now: Date },
): Promise<void> {
  await db('notifications')
    .insert({
      id: sent.id,
      order_id: sent.orderId,
      event_id: sent.eventId,
      channel: sent.channel,
      template: sent.template,
      recipient: sent.recipient,
      provider_message_id: sent.providerMessageId,
      sent_at: sent.now,
    })
    .onConflict(['event_id', 'channel'])
    .ignore();
}
