import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { scheduledJob } from '../lib/http/scheduled.ts';
import { serveHandler } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { paymentProvider } from '../lib/payments/index.ts';
import { createScheduledReconcile } from './handler.ts';

serveHandler(
  'saga-reconcile',
  scheduledJob(
    'saga-reconcile',
    createScheduledReconcile({ db: db(), firestore: firestore(), provider: paymentProvider(), windowHours: 25, graceSeconds: config().SAGA_STALL_SECONDS * 2 }),
    { log: logger },
  ),
  { log: logger },
);
