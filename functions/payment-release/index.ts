import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { paymentProvider } from '../lib/payments/index.ts';
import { postgresLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createPaymentRelease } from './handler.ts';

serveEvents(
  'payment-release',
  pubsubStep('payment-release', () => createPaymentRelease({ db: db(), provider: paymentProvider() }), { ledger: () => postgresLedger(db()) }),
);
