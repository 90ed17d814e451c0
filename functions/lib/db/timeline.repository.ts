import type { Knex } from 'knex';
import type { OrderFacts } from '../../orders-api/timeline.ts';
import type { StepLedger } from '../step-ledger.ts';

/** Everything the saga recorded about one order, from PostgreSQL and from every step ledger. */
export async function orderFacts(db: Knex, ledgers: readonly StepLedger[], orderId: string): Promise<OrderFacts> {
  const [history, events, deliveries, deadLetters, actions, notifications] = await Promise.all([
    db('order_status_history').where({ order_id: orderId }).orderBy('id').select('status', 'reason', 'at'),
    db('saga_events').where({ order_id: orderId }).orderBy('occurred_at').select('event_id', 'type', 'causation_id', 'producer', 'occurred_at'),
    Promise.all(ledgers.map((l) => l.ofOrder(orderId))),
    db('dead_letters').where({ order_id: orderId }).select('id', 'function', 'event_type', 'cause', 'last_error', 'status', 'dead_lettered_at'),
    db('admin_actions').where({ order_id: orderId }).orderBy('id').select('action', 'actor', 'reason', 'at'),
    db('notifications').where({ order_id: orderId }).whereNotNull('sent_at').select('channel', 'template', 'status', 'sent_at'),
  ]);
  return {
    history: history.map((h) => ({ status: h.status, reason: h.reason, at: h.at })),
    events: events.map((e) => ({ eventId: e.event_id, type: e.type, causationId: e.causation_id, producer: e.producer, occurredAt: e.occurred_at })),
    deliveries: deliveries.flat(),
    deadLetters: deadLetters.map((l) => ({ id: l.id, function: l.function, eventType: l.event_type, cause: l.cause, lastError: l.last_error, status: l.status, at: l.dead_lettered_at })),
    operatorActions: actions.map((a) => ({ action: a.action, actor: a.actor, reason: a.reason, at: a.at })),
    notifications: notifications.map((n) => ({ channel: n.channel, template: n.template, status: n.status, at: n.sent_at })),
  };
}
