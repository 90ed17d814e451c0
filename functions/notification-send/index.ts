import { config } from '../lib/config.ts';
import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { sendEmail } from '../lib/notify/email.ts';
import { sendSms } from '../lib/notify/sms.ts';
import { postgresLedger } from '../lib/step-ledger.ts';
import { pubsubStep } from '../lib/step.ts';
import { createNotificationSend } from './handler.ts';

serveEvents(
  'notification-send',
  pubsubStep(
    'notification-send',
    // A claim outlives the slowest send (three SMTP timeouts, twice) and the step's own deadline.
    () => createNotificationSend({ db: db(), sendEmail, sendSms, leaseMs: Math.max(config().SMTP_TIMEOUT_MS * 7, config().HANDLER_TIMEOUT_MS) + 5000, maxSmsPerDay: config().MAX_SMS_PER_CUSTOMER_PER_DAY }),
    { ledger: () => postgresLedger(db()) },
  ),
);
