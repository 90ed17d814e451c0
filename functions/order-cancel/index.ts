import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { postgresFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderCancel } from './handler.ts';

serveEvents('order-cancel', pubsubStep('order-cancel', () => createOrderCancel({ db: db() }), { failures: () => postgresFailures(db()) }));
