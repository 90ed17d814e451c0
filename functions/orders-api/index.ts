import { http } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { httpApi } from '../lib/http/api.ts';
import { verifyToken } from '../lib/http/verifier.ts';
import { logger } from '../lib/logger.ts';
import { publish } from '../lib/pubsub.ts';
import { createOrderRoutes } from './handler.ts';

http(
  'orders-api',
  httpApi({ routes: createOrderRoutes({ db: db(), firestore: firestore(), publish }), verify: verifyToken, log: logger }),
);
