import { context } from '@opentelemetry/api';
import type { Knex } from 'knex';
import type { Envelope } from '../../schemas/index.ts';
import type { Logger } from './logger.ts';
import type { Publish } from './pubsub.ts';
import { contextOfTraceparent, currentTraceparent } from './telemetry.ts';

/** What one relay or sweep did. */
export interface RelayResult {
  published: number;
  failed: number;
}

/**
 * Adds events to the outbox inside the caller's transaction, so they exist exactly when the change that caused them
 * does, with the current trace context, so whoever publishes them later publishes them in the same trace. Returns
 * the row ids for the relay. A row's `created_at` is when it was written, not when its request began: a request that
 * waited long for an order's lock would otherwise commit a row the sweeper takes as overdue while the relay publishes it.
 */
export async function enqueue(trx: Knex, events: Envelope[]): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await trx('outbox')
    .insert(events.map((e) => ({ event_id: e.metadata.eventId, topic: e.type, envelope: JSON.stringify(e), created_at: trx.raw('clock_timestamp()'), traceparent: currentTraceparent() })))
    .returning('id');
  return rows.map((r: { id: number | string }) => Number(r.id));
}

interface OutboxRow {
  id: number;
  envelope: Envelope;
  traceparent: string | null;
}

const outboxRow = (r: { id: number | string; envelope: Envelope; traceparent: string | null }): OutboxRow => ({ id: Number(r.id), envelope: r.envelope, traceparent: r.traceparent });

async function publishRows(db: Knex, publish: Publish, rows: OutboxRow[], now: () => Date): Promise<RelayResult> {
  const outcomes = await Promise.all(
    rows.map(async (row) => {
      try {
        await context.with(contextOfTraceparent(row.traceparent), () => publish(row.envelope));
        await db('outbox').where({ id: row.id }).update({ published_at: now(), attempts: db.raw('attempts + 1') });
        return true;
      } catch (err) {
        await db('outbox')
          .where({ id: row.id })
          .update({ attempts: db.raw('attempts + 1'), last_error: String((err as Error).message ?? err).slice(0, 1000) })
          .catch(() => undefined);
        return false;
      }
    }),
  );
  return { published: outcomes.filter(Boolean).length, failed: outcomes.filter((ok) => !ok).length };
}

/**
 * Publishes just-committed rows and marks them published. Never throws: what it cannot publish stays in the outbox
 * for the sweeper, and the request that committed it has succeeded regardless.
 */
export async function relay(db: Knex, publish: Publish, ids: number[], log: Logger): Promise<RelayResult> {
  if (ids.length === 0) return { published: 0, failed: 0 };
  try {
    const rows = await db('outbox').whereIn('id', ids).whereNull('published_at').select('id', 'envelope', 'traceparent');
    const result = await publishRows(db, publish, rows.map(outboxRow), () => new Date());
    if (result.failed > 0) log.warn({ outboxIds: ids, ...result }, 'outbox relay could not publish now; the sweeper will');
    return result;
  } catch (err) {
    log.warn({ err, outboxIds: ids }, 'outbox relay failed; the sweeper will publish');
    return { published: 0, failed: ids.length };
  }
}

/**
 * Publishes rows left unpublished for longer than `olderThanSeconds`, oldest first. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so sweepers running at once never take the same row.
 */
export async function sweep(db: Knex, publish: Publish, options: { olderThanSeconds: number; limit: number; now: Date }): Promise<RelayResult> {
  return db.transaction(async (trx) => {
    const rows = await trx('outbox')
      .whereNull('published_at')
      .where('created_at', '<', new Date(options.now.getTime() - options.olderThanSeconds * 1000))
      .orderBy('id')
      .limit(options.limit)
      .forUpdate()
      .skipLocked()
      .select('id', 'envelope', 'traceparent');
    return publishRows(trx, publish, rows.map(outboxRow), () => new Date());
  });
}

/** Deletes rows published before `before`; the outbox is a queue, not a log. */
export async function prune(db: Knex, before: Date): Promise<number> {
  return db('outbox').whereNotNull('published_at').where('published_at', '<', before).del();
}

/** The first event of an order's saga (`order.placed`) as it was put in the outbox, for the watchdog to republish. */
export async function storedEvent(db: Knex, eventId: string): Promise<Envelope | null> {
  const row = await db('outbox').where({ event_id: eventId }).orderBy('id').first('envelope');
  return row ? (row.envelope as Envelope) : null;
}
