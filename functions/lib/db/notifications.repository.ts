import type { Knex } from 'knex';
import type { NotificationChannel, NotificationTemplate } from '../../../schemas/index.ts';

/** Which message: one per order, template and channel, ever. */
export interface NotificationKey {
  orderId: string;
  template: NotificationTemplate;
  channel: NotificationChannel;
}

/** A message's record: being sent (claimed until a time), sent, or refused for good. */
export type NotificationState =
  | { status: 'sending'; claimedUntil: Date }
  | { status: 'sent'; providerMessageId: string }
  | { status: 'rejected'; error: string };

/**
 * Claims the right to send one message, atomically, before it is sent: the first delivery inserts the claim; a claim
 * whose lease ran out (its holder died or hung) can be taken over. Returns null when the claim is ours, or the
 * state that stopped us (another delivery is sending it, or it is done).
 */
export async function claimNotification(
  db: Knex,
  claim: NotificationKey & { id: string; eventId: string; customerId: string; recipient: string; leaseMs: number; now: Date },
): Promise<NotificationState | null> {
  const until = new Date(claim.now.getTime() + claim.leaseMs);
  const won = await db.raw(
    `INSERT INTO notifications (id, order_id, event_id, channel, template, customer_id, recipient, status, claimed_until, attempts)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?, 1)
     ON CONFLICT (order_id, template, channel) DO UPDATE
       SET claimed_until = EXCLUDED.claimed_until, attempts = notifications.attempts + 1
       WHERE notifications.status = 'sending' AND notifications.claimed_until < ?
     RETURNING id`,
    [claim.id, claim.orderId, claim.eventId, claim.channel, claim.template, claim.customerId, claim.recipient, until, claim.now],
  );
  if (won.rows.length > 0) return null;
  const row = await db('notifications').where({ order_id: claim.orderId, template: claim.template, channel: claim.channel }).first();
  if (row.status === 'sent') return { status: 'sent', providerMessageId: row.provider_message_id };
  if (row.status === 'rejected') return { status: 'rejected', error: row.error };
  return { status: 'sending', claimedUntil: row.claimed_until };
}

/** Records that a claimed message went out. */
export async function markSent(db: Knex, key: NotificationKey & { providerMessageId: string; now: Date }): Promise<void> {
  await db('notifications')
    .where({ order_id: key.orderId, template: key.template, channel: key.channel })
    .update({ status: 'sent', provider_message_id: key.providerMessageId, sent_at: key.now, claimed_until: null, error: null });
}

/** Records that a message was refused for good (for example an address the mail server rejects). */
export async function markRejected(db: Knex, key: NotificationKey & { error: string; now: Date }): Promise<void> {
  await db('notifications')
    .where({ order_id: key.orderId, template: key.template, channel: key.channel })
    .update({ status: 'rejected', error: key.error.slice(0, 1000), sent_at: key.now, claimed_until: null });
}

/** Gives a claim up after a transient failure, so the redelivery may send at once. */
export async function releaseClaim(db: Knex, key: NotificationKey & { error: string; now: Date }): Promise<void> {
  await db('notifications')
    .where({ order_id: key.orderId, template: key.template, channel: key.channel, status: 'sending' })
    .update({ claimed_until: key.now, error: key.error.slice(0, 1000) });
}

/** Text messages a customer was sent (or is being sent) since a time, other than those of one order. */
export async function smsCountSince(db: Knex, customerId: string, since: Date, exceptOrderId: string): Promise<number> {
  const [row] = await db('notifications')
    .where({ customer_id: customerId, channel: 'sms' })
    .whereNot({ order_id: exceptOrderId })
    .where((q) => q.where((s) => s.where({ status: 'sent' }).andWhere('sent_at', '>', since)).orWhere({ status: 'sending' }))
    .count<{ count: string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}
