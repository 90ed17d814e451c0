import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { faults } from '../lib/faults.ts';
import { firestore } from '../lib/firestore.ts';
import { httpApi } from '../lib/http/api.ts';
import { corsPolicy } from '../lib/http/headers.ts';
import { rateLimits } from '../lib/http/limits.ts';
import { serveHttp } from '../lib/http/serve.ts';
import { postgresIdempotency } from '../lib/http/idempotency.ts';
import { verifyToken } from '../lib/http/verifier.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { firestoreLedger, postgresLedger } from '../lib/step-ledger.ts';
import { createOrderRoutes } from './handler.ts';

const cfg = config();

serveHttp(
  'orders-api',
  httpApi({
    routes: createOrderRoutes({
      db: db(),
      firestore: firestore(),
      publish,
      deadlineSeconds: cfg.ORDER_DEADLINE_SECONDS,
      dependencyTimeoutMs: cfg.DEPENDENCY_TIMEOUT_MS,
      relayWaitMs: 1500,
      faults,
      crash: () => process.exit(70),
      maxOpenOrders: cfg.MAX_OPEN_ORDERS_PER_CUSTOMER,
      ledgers: [postgresLedger(db()), firestoreLedger(firestore())],
    }),
    verify: verifyToken,
    log: logger,
    limits: rateLimits,
    cors: corsPolicy(config().CORS_ALLOWED_ORIGINS),
    clientIpFromRight: config().CLIENT_IP_FROM_RIGHT,
    idempotency: { store: () => postgresIdempotency(db()), ttlMs: cfg.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, leaseMs: 60_000 },
  }),
);
