import { db } from '../lib/db/knex.ts';
import { firestore } from '../lib/firestore.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { firestoreLedger, postgresLedger } from '../lib/step-ledger.ts';
import { createDeadLetterRecorder } from './handler.ts';

serveEvents('dead-letter-record', createDeadLetterRecorder({ db: db(), ledgers: [postgresLedger(db()), firestoreLedger(firestore())], log: logger }));
