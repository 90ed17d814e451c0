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
import { createCatalogProjection } from './projection.ts';

serveHttp(
  'catalog-api',
  httpApi({
    routes: createCatalogRoutes({
      firestore: firestore(),
      projection: createCatalogProjection(firestore(), logger, (ids) => void readCache().delete(ids.map(productCacheKey))),
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
