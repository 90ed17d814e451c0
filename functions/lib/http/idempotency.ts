import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';

/** A response kept for replay: status, headers (Location, ETag, Content-Type...) and body. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What to do with a request that carries an Idempotency-Key. */
export type BeginResult =
  | { kind: 'proceed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/** What a store needs to start a keyed request. */
export interface BeginRequest {
  /** Whose key: keys of different callers never meet. */
  scope: string;
  key: string;
  /** Hash of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  now: Date;
  /** How long a request may run before a retry may take its key over (its process died). */
  leaseMs: number;
  /** How long the key and its response are kept. */
  ttlMs: number;
}

/**
 * Keeps Idempotency-Keys and their responses (IETF httpapi idempotency-key draft): the first request with a key
 * proceeds; the same key with the same request replays the stored response; with another request it is refused; while
 * the first is still running, a second waits its turn.
 */
export interface IdempotencyStore {
  begin(request: BeginRequest): Promise<BeginResult>;
  complete(request: { scope: string; key: string; response: StoredResponse }): Promise<void>;
  /** Forgets a key whose request failed without an answer worth keeping (a 5xx), so a retry runs it again. */
  abandon(request: { scope: string; key: string }): Promise<void>;
}

/** JSON with object keys sorted, so two bodies that mean the same hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The fingerprint of a request: its method, path and body (bytes for binary bodies, canonical JSON otherwise). */
export function fingerprintOf(request: { method: string; path: string; body: unknown }): string {
  const hash = createHash('sha256').update(`${request.method} ${request.path}\n`);
  hash.update(Buffer.isBuffer(request.body) ? request.body : canonical(request.body ?? null));
  return hash.digest('base64url');
}

/** Idempotency keys in PostgreSQL (`idempotency_keys`). */
export function postgresIdempotency(db: Knex): IdempotencyStore {
  return {
    async begin({ scope, key, fingerprint, now, leaseMs, ttlMs }) {
      const taken = await db.raw(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, status, locked_until, created_at, expires_at)
         VALUES (?, ?, ?, 'in_progress', ?, ?, ?)
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, status = 'in_progress', locked_until = EXCLUDED.locked_until,
               created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
               response_status = NULL, response_headers = NULL, response_body = NULL
           WHERE idempotency_keys.expires_at < ?
              OR (idempotency_keys.status = 'in_progress' AND idempotency_keys.locked_until < ?
                  AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
         RETURNING key`,
        [scope, key, fingerprint, new Date(now.getTime() + leaseMs), now, new Date(now.getTime() + ttlMs), now, now],
      );
      if (taken.rows.length > 0) return { kind: 'proceed' };
      const row = await db('idempotency_keys').where({ scope, key }).first();
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.status === 'done') return { kind: 'replay', response: { status: row.response_status, headers: row.response_headers, body: row.response_body } };
      return { kind: 'in-progress' };
    },
    async complete({ scope, key, response }) {
      await db('idempotency_keys').where({ scope, key }).update({
        status: 'done',
        locked_until: null,
        response_status: response.status,
        response_headers: JSON.stringify(response.headers),
        response_body: response.body === undefined ? null : JSON.stringify(response.body),
      });
    },
    async abandon({ scope, key }) {
      await db('idempotency_keys').where({ scope, key, status: 'in_progress' }).del();
    },
  };
}

/** Idempotency keys in Firestore (`idempotencyKeys/{hash of scope and key}`), for the Firestore-only catalog. */
export function firestoreIdempotency(fs: Firestore): IdempotencyStore {
  const ref = (scope: string, key: string) => fs.collection('idempotencyKeys').doc(createHash('sha256').update(`${scope}\0${key}`).digest('base64url'));
  return {
    async begin({ scope, key, fingerprint, now, leaseMs, ttlMs }) {
      const doc = ref(scope, key);
      const fresh = { fingerprint, status: 'in_progress', lockedUntil: Timestamp.fromMillis(now.getTime() + leaseMs), expiresAt: Timestamp.fromMillis(now.getTime() + ttlMs), response: null };
      for (let attempt = 0; attempt < 5; attempt++) {
        const snap = await doc.get();
        try {
          if (!snap.exists) {
            await doc.create(fresh);
            return { kind: 'proceed' };
          }
          const row = snap.data()!;
          const expired = row.expiresAt.toMillis() < now.getTime();
          const abandoned = row.status === 'in_progress' && row.lockedUntil.toMillis() < now.getTime() && row.fingerprint === fingerprint;
          if (expired || abandoned) {
            await doc.update(fresh, { lastUpdateTime: snap.updateTime! });
            return { kind: 'proceed' };
          }
          if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
          if (row.status === 'done') return { kind: 'replay', response: JSON.parse(row.response) as StoredResponse };
          return { kind: 'in-progress' };
        } catch (err) {
          const code = (err as { code?: number }).code;
          if (code !== 6 && code !== 9) throw err;
        }
      }
      return { kind: 'in-progress' };
    },
    async complete({ scope, key, response }) {
      await ref(scope, key).update({ status: 'done', lockedUntil: null, response: JSON.stringify(response) });
    },
    async abandon({ scope, key }) {
      const doc = ref(scope, key);
      const snap = await doc.get();
      if (snap.exists && snap.get('status') === 'in_progress') await doc.delete({ lastUpdateTime: snap.updateTime! }).catch(() => undefined);
    },
  };
}

/** Deletes expired keys from PostgreSQL. */
export async function pruneIdempotencyKeys(db: Knex, now: Date): Promise<number> {
  return db('idempotency_keys').where('expires_at', '<', now).del();
}

/** Deletes expired keys from Firestore (a TTL policy on `expiresAt` does this in production too). */
export async function pruneFirestoreIdempotencyKeys(fs: Firestore, now: Date): Promise<number> {
  const old = await fs.collection('idempotencyKeys').where('expiresAt', '<', Timestamp.fromDate(now)).limit(500).get();
  if (old.empty) return 0;
  const batch = fs.batch();
  old.docs.forEach((d) => batch.delete(d.ref));
  await batch.commit();
  return old.size;
}
