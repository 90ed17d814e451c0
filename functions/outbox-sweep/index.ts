import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { scheduledJob } from '../lib/http/scheduled.ts';
import { serveHandler } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { createOutboxSweep } from './handler.ts';

serveHandler(
  'outbox-sweep',
  scheduledJob('outbox-sweep', createOutboxSweep({ db: db(), firestore: firestore(), publish, olderThanSeconds: config().OUTBOX_SWEEP_AFTER_SECONDS, limit: 200 }), { log: logger }),
  { log: logger },
);
