import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { paymentProvider } from '../lib/payments/index.ts';
import { postgresFailures } from '../lib/step-failures.ts';
import { pubsubStep } from '../lib/step.ts';
import { createPaymentRelease } from './handler.ts';

serveEvents(
  'payment-release',
  pubsubStep('payment-release', () => createPaymentRelease({ db: db(), provider: paymentProvider() }), { failures: () => postgresFailures(db()) }),
);
