import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { firestoreFailures, postgresFailures } from '../lib/step-failures.ts';
import { createDeadLetterRecorder } from './handler.ts';

serveEvents('dead-letter-record', createDeadLetterRecorder({ db: db(), failures: [postgresFailures(db()), firestoreFailures(firestore())], log: logger }));
