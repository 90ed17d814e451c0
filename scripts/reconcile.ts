import { parseArgs } from 'node:util';
import { parseConfig } from '../functions/lib/config.ts';
import { createDb } from '../functions/lib/db/knex.ts';
import { createFirestore } from '../functions/lib/firestore.ts';
import { createStripeProvider } from '../functions/lib/payments/index.ts';
import { reconcile } from '../functions/lib/reconcile.ts';
import { readDevStackFile } from './stack/dev-stack-file.ts';

const { values } = parseArgs({
  options: {
    since: { type: 'string', default: '7d' },
    order: { type: 'string', multiple: true },
    grace: { type: 'string', default: '60' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm run reconcile -- [--since 7d|24h|30m] [--order <id> ...] [--grace <seconds>]

Checks the books of finished orders: every captured amount belongs to a CONFIRMED order and equals its total; every
other order's money is voided or refunded; stock held equals confirmed lines; each finished order told its customer
once. Orders younger than --grace seconds are still settling. Exits 1 when there is a discrepancy.
Against a running \`npm run dev\` it needs nothing; elsewhere set DATABASE_URL (or INSTANCE_CONNECTION_NAME),
GOOGLE_CLOUD_PROJECT, PAYMENT_PROVIDER_URL and PAYMENT_PROVIDER_API_KEY.`);
  process.exit(0);
}

const durations: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const window = /^(\d+)([mhd])$/.exec(values.since);
if (!window) {
  console.error(`--since ${values.since}: use a number with m, h or d, for example 24h`);
  process.exit(2);
}

// A production run names its database; otherwise reconcile the running dev stack.
const env = process.env.DATABASE_URL || process.env.INSTANCE_CONNECTION_NAME ? process.env : { ...process.env, ...readDevStackFile().directEnv };
// The Google clients find the emulators (and skip the metadata server) through the process environment.
Object.assign(process.env, env);
const cfg = parseConfig(env);
const db = createDb(cfg);
const firestore = createFirestore(cfg.GOOGLE_CLOUD_PROJECT);
const provider = createStripeProvider({ baseUrl: cfg.PAYMENT_PROVIDER_URL, apiKey: cfg.PAYMENT_PROVIDER_API_KEY, timeoutMs: cfg.PAYMENT_PROVIDER_TIMEOUT_MS, attempts: 3, breaker: { consecutiveFailures: 10, halfOpenAfterMs: 5000 } });
const now = new Date();
process.stdout.write(`Reconciling orders ${values.order ? values.order.join(', ') : `since ${values.since}`} against ${cfg.PAYMENT_PROVIDER_URL}…\n`);
try {
  const report = await reconcile({
    db,
    firestore,
    provider,
    now,
    graceSeconds: Number(values.grace),
    ...(values.order ? { orderIds: values.order } : { since: new Date(now.getTime() - Number(window[1]) * durations[window[2]!]!) }),
  });
  const { orders, intents, inFlight } = report.checked;
  console.log(`Checked ${orders} orders (${inFlight} still in flight) and ${intents} payment intents.`);
  if (report.discrepancies.length === 0) {
    console.log('✓ The books balance: no discrepancy.');
  } else {
    console.log(`✗ ${report.discrepancies.length} discrepanc${report.discrepancies.length === 1 ? 'y' : 'ies'}:`);
    for (const d of report.discrepancies) console.log(`\n  ${d.kind}  order ${d.orderId ?? '—'}\n    ${d.detail}\n    → ${d.action}`);
  }
  process.exitCode = report.discrepancies.length === 0 ? 0 : 1;
} catch (err) {
  console.error(`✗ could not reconcile: ${(err as Error).message}\n  Is the stack running (npm run dev), or are DATABASE_URL and the provider settings right?`);
  process.exitCode = 2;
} finally {
  await db.destroy();
  await firestore.terminate();
}
