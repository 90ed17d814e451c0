import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { postgresFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderConfirm } from './handler.ts';

cloudEvent('order-confirm', pubsubStep('order-confirm', () => createOrderConfirm({ db: db() }), { failures: () => postgresFailures(db()) }));
