import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { logger } from '../lib/logger.ts';
import { firestoreFailures, postgresFailures } from '../lib/step-failures.ts';
import { createDeadLetterRecorder } from './handler.ts';

cloudEvent('dead-letter-record', createDeadLetterRecorder({ db: db(), failures: [postgresFailures(db()), firestoreFailures(firestore())], log: logger }));
