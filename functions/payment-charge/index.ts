import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { paymentProvider } from '../lib/payments/index.ts';
import { pubsubStep } from '../lib/step.ts';
import { createPaymentCharge } from './handler.ts';

cloudEvent('payment-charge', pubsubStep('payment-charge', () => createPaymentCharge({ db: db(), provider: paymentProvider() })));
