import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { postgresFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderConfirm } from './handler.ts';

serveEvents('order-confirm', pubsubStep('order-confirm', () => createOrderConfirm({ db: db() }), { failures: () => postgresFailures(db()) }));
