import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { httpApi } from '../lib/http/api.ts';
import { corsPolicy } from '../lib/http/headers.ts';
import { rateLimits } from '../lib/http/limits.ts';
import { serveHttp } from '../lib/http/serve.ts';
import { postgresIdempotency } from '../lib/http/idempotency.ts';
import { verifyToken } from '../lib/http/verifier.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { cloudTraces, collectorTraces } from '../lib/traces.ts';
import { createAdminRoutes } from './handler.ts';

const cfg = config();
const traces = cfg.TRACE_QUERY_URL
  ? collectorTraces(cfg.TRACE_QUERY_URL, { timeoutMs: cfg.DEPENDENCY_TIMEOUT_MS })
  : cloudTraces(cfg.GOOGLE_CLOUD_PROJECT, { timeoutMs: cfg.DEPENDENCY_TIMEOUT_MS });

serveHttp(
  'admin-api',
  httpApi({
    routes: createAdminRoutes({ db: db(), firestore: firestore(), publish, relayWaitMs: 1500, traces }),
    verify: verifyToken,
    log: logger,
    limits: rateLimits,
    cors: corsPolicy(config().CORS_ALLOWED_ORIGINS),
    clientIpFromRight: config().CLIENT_IP_FROM_RIGHT,
    idempotency: { store: () => postgresIdempotency(db()), ttlMs: config().IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, leaseMs: 60_000 },
  }),
);
