import { readCache } from '../lib/cache.ts';
import { config } from '../lib/config.ts';
import { faults } from '../lib/faults.ts';
import { firestore } from '../lib/firestore.ts';
import { storage } from '../lib/storage.ts';
import { httpApi } from '../lib/http/api.ts';
import { corsPolicy } from '../lib/http/headers.ts';
import { rateLimits } from '../lib/http/limits.ts';
import { serveHttp } from '../lib/http/serve.ts';
import { firestoreIdempotency } from '../lib/http/idempotency.ts';
import { verifyToken } from '../lib/http/verifier.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { createChangeCommitter } from './changes.ts';
import { createCatalogRoutes, productCacheKey } from './handler.ts';
import { readSnapshot, storedSnapshotAsOf, writeSnapshot } from '../lib/catalog-snapshot.ts';
import { createCatalogProjection, type SnapshotStore } from './projection.ts';

const snapshotBucket = config().CATALOG_SNAPSHOT_BUCKET;
const snapshots: SnapshotStore | null = snapshotBucket
  ? {
      read: () => readSnapshot(storage(), snapshotBucket),
      write: async (snapshot) => void (await writeSnapshot(storage(), snapshotBucket, snapshot)),
      storedAsOf: () => storedSnapshotAsOf(storage(), snapshotBucket),
    }
  : null;
const projection = createCatalogProjection({
  firestore: firestore(),
  log: logger,
  snapshots,
  overlapMs: config().CATALOG_SNAPSHOT_OVERLAP_SECONDS * 1000,
  serveWithinMs: config().CATALOG_SNAPSHOT_SERVE_WITHIN_SECONDS * 1000,
  writeAfterMs: config().CATALOG_SNAPSHOT_WRITE_AFTER_SECONDS * 1000,
  onChange: (ids) => void readCache().delete(ids.map(productCacheKey)),
});
// Loading starts with the instance, not with its first search.
projection.ready().catch(() => undefined);

serveHttp(
  'catalog-api',
  httpApi({
    routes: createCatalogRoutes({
      firestore: firestore(),
      projection,
      cache: readCache(),
      commitChange: createChangeCommitter({
        firestore: firestore(),
        publish,
        invalidate: (id) => readCache().delete([productCacheKey(id)]),
        relayWaitMs: 1500,
        commitTimeoutMs: config().DEPENDENCY_TIMEOUT_MS * 2,
        faults,
        crash: () => process.exit(70),
      }),
      storage: storage(),
      images: { bucket: config().IMAGES_BUCKET, publicUrl: config().IMAGES_PUBLIC_URL },
      dependencyTimeoutMs: config().DEPENDENCY_TIMEOUT_MS,
    }),
    verify: verifyToken,
    log: logger,
    limits: rateLimits,
    cors: corsPolicy(config().CORS_ALLOWED_ORIGINS),
    clientIpFromRight: config().CLIENT_IP_FROM_RIGHT,
    idempotency: { store: () => firestoreIdempotency(firestore()), ttlMs: config().IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, leaseMs: 60_000 },
  }),
);
