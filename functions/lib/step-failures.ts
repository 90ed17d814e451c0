import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';

/** One step's failures of one event: how often, the last error and when. */
export interface StepFailure {
  attempts: number;
  lastError: string;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/**
 * Where a step remembers why an event failed, so the dead-letter recorder can say why a message was given up
 * (Pub/Sub keeps only the attempt count). Each function uses the store it already talks to.
 */
export interface StepFailureStore {
  record(failure: { fn: string; eventId: string; orderId: string | null; error: string; at: Date }): Promise<void>;
  find(fn: string, eventId: string): Promise<StepFailure | null>;
}

/** Step failures in PostgreSQL (`step_failures`). */
export function postgresFailures(db: Knex): StepFailureStore {
  return {
    async record({ fn, eventId, orderId, error, at }) {
      await db.raw(
        `INSERT INTO step_failures (function, event_id, order_id, attempts, last_error, first_failed_at, last_failed_at)
         VALUES (?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT (function, event_id) DO UPDATE
           SET attempts = step_failures.attempts + 1, last_error = EXCLUDED.last_error, last_failed_at = EXCLUDED.last_failed_at`,
        [fn, eventId, orderId, error.slice(0, 2000), at, at],
      );
    },
    async find(fn, eventId) {
      const row = await db('step_failures').where({ function: fn, event_id: eventId }).first();
      return row ? { attempts: row.attempts, lastError: row.last_error, firstFailedAt: row.first_failed_at, lastFailedAt: row.last_failed_at } : null;
    },
  };
}

/** Step failures in Firestore (`stepFailures/{function}:{eventId}`), for the steps that only use Firestore. */
export function firestoreFailures(fs: Firestore): StepFailureStore {
  const ref = (fn: string, eventId: string) => fs.collection('stepFailures').doc(`${fn}:${eventId}`);
  return {
    async record({ fn, eventId, orderId, error, at }) {
      const when = Timestamp.fromDate(at);
      const doc = ref(fn, eventId);
      // The first failure sets firstFailedAt; later ones only count and overwrite the last error.
      await doc.create({ fn, eventId, orderId, attempts: 1, lastError: error.slice(0, 2000), firstFailedAt: when, lastFailedAt: when }).catch(async (err: { code?: number }) => {
        if (err.code !== 6) throw err;
        await doc.update({ attempts: FieldValue.increment(1), lastError: error.slice(0, 2000), lastFailedAt: when });
      });
    },
    async find(fn, eventId) {
      const snap = await ref(fn, eventId).get();
      if (!snap.exists) return null;
      const d = snap.data()!;
      return { attempts: d.attempts, lastError: d.lastError, firstFailedAt: d.firstFailedAt.toDate(), lastFailedAt: d.lastFailedAt.toDate() };
    },
  };
}
