import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { scheduledJob } from '../lib/http/scheduled.ts';
import { serveHandler } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { createWatchdog } from './handler.ts';

serveHandler(
  'saga-watchdog',
  scheduledJob('saga-watchdog', createWatchdog({ db: db(), firestore: firestore(), publish, options: { stallSeconds: config().SAGA_STALL_SECONDS, maxNudges: 5, limit: 200 } }), { log: logger }),
  { log: logger },
);
