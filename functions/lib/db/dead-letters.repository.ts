import type { Knex } from 'knex';
import type { DeadLetterCause, DeadLetterStatus, DeadLetterView } from '../../../schemas/index.ts';

/** A dead letter as the recorder stores it. */
export interface NewDeadLetter {
  id: string;
  function: string;
  topic: string | null;
  cause: DeadLetterCause;
  eventType: string | null;
  eventId: string | null;
  orderId: string | null;
  attempts: number | null;
  lastError: string | null;
  data: string;
  attributes: Record<string, string>;
  firstFailedAt: Date | null;
  deadLetteredAt: Date;
}

interface DeadLetterRow {
  id: string;
  function: string;
  topic: string | null;
  cause: DeadLetterCause;
  event_type: string | null;
  event_id: string | null;
  order_id: string | null;
  attempts: number | null;
  last_error: string | null;
  status: DeadLetterStatus;
  data: string;
  attributes: Record<string, string>;
  first_failed_at: Date | null;
  dead_lettered_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_reason: string | null;
}

/** Records a dead letter once (a redelivery of the same dead-letter message changes nothing); true when new. */
export async function recordDeadLetter(db: Knex, letter: NewDeadLetter): Promise<boolean> {
  const inserted = await db('dead_letters')
    .insert({
      id: letter.id,
      function: letter.function,
      topic: letter.topic,
      cause: letter.cause,
      event_type: letter.eventType,
      event_id: letter.eventId,
      order_id: letter.orderId,
      attempts: letter.attempts,
      last_error: letter.lastError,
      data: letter.data,
      attributes: JSON.stringify(letter.attributes),
      first_failed_at: letter.firstFailedAt,
      dead_lettered_at: letter.deadLetteredAt,
    })
    .onConflict('id')
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/** The message data as an operator reads it: parsed JSON when it is JSON, else the text. */
function readable(data: string): unknown {
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const toView = (r: DeadLetterRow): DeadLetterView => ({
  id: r.id,
  function: r.function,
  topic: r.topic,
  cause: r.cause,
  eventType: r.event_type,
  eventId: r.event_id,
  orderId: r.order_id,
  attempts: r.attempts,
  lastError: r.last_error,
  status: r.status,
  firstFailedAt: r.first_failed_at?.toISOString() ?? null,
  deadLetteredAt: r.dead_lettered_at.toISOString(),
  resolution: r.resolved_at ? { by: r.resolved_by!, reason: r.resolution_reason, at: r.resolved_at.toISOString() } : null,
  message: { data: readable(r.data), attributes: r.attributes },
});

/** One dead letter, with the raw message data for a replay; `lock` holds its row in the caller's transaction. */
export async function findDeadLetter(db: Knex, id: string, options: { lock?: boolean } = {}): Promise<(DeadLetterView & { rawData: string }) | null> {
  const query = db<DeadLetterRow>('dead_letters').where({ id }).first();
  const row = await (options.lock ? query.forUpdate() : query);
  return row ? { ...toView(row), rawData: row.data } : null;
}

/** A page of dead letters, newest first, after a (deadLetteredAt, id) position. */
export async function listDeadLetters(
  db: Knex,
  filter: { status: DeadLetterStatus; function?: string; eventType?: string; orderId?: string; limit: number; after?: { at: string; id: string } },
): Promise<DeadLetterView[]> {
  const query = db<DeadLetterRow>('dead_letters')
    .where({ status: filter.status })
    .orderBy([
      { column: 'dead_lettered_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(filter.limit);
  if (filter.function) query.andWhere({ function: filter.function });
  if (filter.eventType) query.andWhere({ event_type: filter.eventType });
  if (filter.orderId) query.andWhere({ order_id: filter.orderId });
  if (filter.after) query.andWhereRaw('(dead_lettered_at, id) < (?::timestamptz, ?::uuid)', [filter.after.at, filter.after.id]);
  return (await query).map(toView);
}

/** Closes an open dead letter as replayed or discarded, saying who and why (inside the caller's transaction). */
export async function resolveDeadLetter(trx: Knex, id: string, resolution: { status: 'replayed' | 'discarded'; by: string; reason: string | null; now: Date }): Promise<void> {
  await trx('dead_letters').where({ id }).update({ status: resolution.status, resolved_by: resolution.by, resolution_reason: resolution.reason, resolved_at: resolution.now });
}

/** Records what an operator did, who, when and why. */
export async function recordAdminAction(trx: Knex, action: { action: string; target: string; orderId: string | null; actor: string; reason: string | null; now: Date }): Promise<void> {
  await trx('admin_actions').insert({ action: action.action, target: action.target, order_id: action.orderId, actor: action.actor, reason: action.reason, at: action.now });
}

/** Open dead letters matching every given field, oldest first, with the raw data for a replay. */
export async function selectDeadLetters(
  db: Knex,
  select: { function?: string; eventType?: string; productId?: string; from?: string; to?: string },
  limit: number,
): Promise<(DeadLetterView & { rawData: string })[]> {
  const query = db<DeadLetterRow>('dead_letters')
    .where({ status: 'open' })
    .orderBy([{ column: 'dead_lettered_at' }, { column: 'id' }])
    .limit(limit);
  if (select.function) query.andWhere({ function: select.function });
  if (select.eventType) query.andWhere({ event_type: select.eventType });
  if (select.from) query.andWhere('dead_lettered_at', '>=', select.from);
  if (select.to) query.andWhere('dead_lettered_at', '<', select.to);
  if (select.productId) {
    query.whereExists((q) => q.select(db.raw('1')).from('order_lines').whereRaw('order_lines.order_id = dead_letters.order_id').where('order_lines.product_id', select.productId!));
  }
  return (await query).map((row) => ({ ...toView(row), rawData: row.data }));
}
