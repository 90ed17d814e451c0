import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { postgresFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createOrderCancel } from './handler.ts';

cloudEvent('order-cancel', pubsubStep('order-cancel', () => createOrderCancel({ db: db() }), { failures: () => postgresFailures(db()) }));
