import { cloudEvent } from '@google-cloud/functions-framework';
import { db } from '../lib/db/knex.ts';
import { sendEmail } from '../lib/notify/email.ts';
import { sendSms } from '../lib/notify/sms.ts';
import { pubsubStep } from '../lib/step.ts';
import { createNotificationSend } from './handler.ts';

cloudEvent('notification-send', pubsubStep('notification-send', () => createNotificationSend({ db: db(), sendEmail, sendSms })));
