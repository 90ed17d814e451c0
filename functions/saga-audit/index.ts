import { db } from '../lib/db/knex.ts';
import { serveEvents } from '../lib/http/serve.ts';
import { pubsubStep } from '../lib/step.ts';
import { createSagaAudit } from './handler.ts';

serveEvents('saga-audit', pubsubStep('saga-audit', () => createSagaAudit({ db: db() })));
