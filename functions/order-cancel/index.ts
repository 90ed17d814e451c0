import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { postgresLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderCancel } from './handler.ts';

serveEvents('order-cancel', pubsubStep('order-cancel', () => createOrderCancel({ db: db() }), { ledger: () => postgresLedger(db()) }));
