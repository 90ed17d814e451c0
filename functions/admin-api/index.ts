import { http } from '@google-cloud/functions-framework';
import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { httpApi } from '../lib/http/api.ts';
import { postgresIdempotency } from '../lib/http/idempotency.ts';
import { verifyToken } from '../lib/http/verifier.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { createAdminRoutes } from './handler.ts';

http(
  'admin-api',
  httpApi({
    routes: createAdminRoutes({ db: db(), publish, relayWaitMs: 1500 }),
    verify: verifyToken,
    log: logger,
    idempotency: { store: () => postgresIdempotency(db()), ttlMs: config().IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, leaseMs: 60_000 },
  }),
);
