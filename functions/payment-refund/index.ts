import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { paymentProvider } from '../lib/payments/index.ts';
import { pubsubStep } from '../lib/step.ts';
import { createPaymentRefund } from './handler.ts';

cloudEvent('payment-refund', pubsubStep('payment-refund', () => createPaymentRefund({ db: db(), provider: paymentProvider() })));
