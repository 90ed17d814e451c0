import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { postgresLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderConfirm } from './handler.ts';

serveEvents('order-confirm', pubsubStep('order-confirm', () => createOrderConfirm({ db: db() }), { ledger: () => postgresLedger(db()) }));
