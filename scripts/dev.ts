import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { functionNames, functions } from '../schemas/index.ts';
import { devPorts } from './stack/dev-ports.ts';
import { devStackFile, removeDevStackFile, writeDevStackFile } from './stack/dev-stack-file.ts';
import { startStack } from './stack/stack.ts';
import { LARGE_CATALOG_PRODUCTS } from './stack/emulators.ts';
import { signIdToken, loadOrCreateIssuerKey } from './stack/dev-issuer.ts';

// `npm run dev -- --products 100000` seeds a larger catalog before the functions start (the emulator cannot take a
// large seed beside a live catalog-api: see npm run seed).
const { values: args } = parseArgs({ options: { products: { type: 'string', default: '60' } } });
const seedProducts = Number(args.products);
if (!Number.isInteger(seedProducts) || seedProducts < 1 || seedProducts > 1_000_000) {
  console.error(`--products must be a whole number from 1 to 1000000, not "${args.products}"`);
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(root, '.data');
const ports = devPorts();
const started = performance.now();
const color = process.stdout.isTTY ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m` : (_: number, s: string) => s;

function formatLine(fn: string, line: string): string {
  try {
    const entry = JSON.parse(line) as { severity?: string; message?: string; orderId?: string };
    const severity = entry.severity ?? 'INFO';
    const tint = severity === 'ERROR' || severity === 'CRITICAL' ? 31 : severity === 'WARNING' ? 33 : 2;
    return `${color(36, fn.padEnd(18))} ${color(tint, severity.padEnd(7))} ${entry.message ?? ''}${entry.orderId ? color(2, ` order=${entry.orderId}`) : ''}`;
  } catch {
    return `${color(36, fn.padEnd(18))} ${line}`;
  }
}

const adminUrl = process.env.DATABASE_URL;
const project = process.env.GOOGLE_CLOUD_PROJECT ?? 'saga-commerce-local';
const logDir = resolve(dataDir, 'logs');
let ready = false;
const stack = await startStack({
  ports,
  project,
  dataDir,
  logDir,
  ...(adminUrl ? { postgresAdminUrl: adminUrl } : {}),
  databaseName: adminUrl ? new URL(adminUrl).pathname.slice(1) || 'saga' : 'saga',
  seedProducts,
  // A placeholder image each for a demo catalog; a large one goes without (100,000 uploads).
  seedImages: seedProducts <= LARGE_CATALOG_PRODUCTS,
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  logLevel: process.env.LOG_LEVEL ?? 'info',
  onProgress: (step, done) =>
    console.log(done ? `  ${color(32, '✓')} ${step} ${color(2, `(${(done.ms / 1000).toFixed(1)} s)`)}` : `  … ${step}`),
  onFunctionLine: (fn, line) => ready && console.log(formatLine(fn, line)),
  onServiceExit: (exit) =>
    console.log(
      exit.restarting
        ? `${color(33, '↻')} ${exit.message}`
        : `${color(31, `✗ ${exit.message}`)}\n  Press Ctrl-C, then run \`npm run dev\` again.`,
    ),
}).catch((err: Error) => {
  console.error(`\n${color(31, '✗ could not start the stack:')} ${err.message}`);
  process.exit(1);
});

writeDevStackFile({
  pid: process.pid,
  startedAt: new Date().toISOString(),
  project,
  api: stack.urls.api,
  faults: stack.urls.faults,
  functionUrls: stack.urls.functions,
  directEnv: stack.directEnv,
  issuerKeyFile: stack.issuerKeyFile,
  issuer: stack.issuer,
  audience: stack.audience,
  logDir,
});
const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
const token = await signIdToken(key, { sub: 'alice', issuer: stack.issuer, audience: stack.audience, expiresIn: '12h' });
const api = stack.urls.api;
const adminToken = await signIdToken(key, { sub: 'ops', role: 'admin', issuer: stack.issuer, audience: stack.audience, expiresIn: '12h' });
const rows: [string, string][] = [
  ['API (orders, products)', api],
  ['Saga console (signed in as admin "ops")', `${api}/console/#token=${adminToken}`],
  ['Mail (maildev web UI)', stack.urls.mailWeb],
  ['Payment simulator', stack.urls.payment],
  ['SMS sink', `${stack.urls.sms}/v1/messages`],
  ['Cloud Storage endpoint (images)', stack.urls.storage],
  ['Pub/Sub emulator', `127.0.0.1:${ports.pubsub}`],
  ['Firestore emulator', `127.0.0.1:${ports.firestore}`],
  ['PostgreSQL', stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')],
  ['Catalog read cache', stack.env.REDIS_URL ?? 'in memory (set REDIS_URL to use Redis)'],
  ['Fault proxies control', `${stack.urls.faults}/faults`],
  ['Telemetry collector (spans, metrics)', `${stack.urls.telemetry}/metrics`],
  ...functionNames.map((fn): [string, string] => [`fn ${fn} (${functions[fn].trigger})`, stack.urls.functions[fn]]),
  ['Logs', logDir],
  ['Stack file (for other scripts)', devStackFile],
];
console.log(`\nSaga Commerce is up in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
for (const [what, where] of rows) console.log(`  ${what.padEnd(34)} ${where}`);
console.log(`
Try it in another terminal (a token for "alice"; make others with \`npm run token -- --sub bob\`):

  export TOKEN=${token}

  curl -s '${api}/v1/products?limit=3'

  curl -si -X POST ${api}/v1/orders -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \\
    -d '{"items":[{"productId":"p-00001","quantity":1}],"payment":{"method":"pm_card_visa"},"contact":{"email":"alice@example.com"}}'

  curl -s ${api}/v1/orders -H "Authorization: Bearer $TOKEN"

  curl -s -X PUT ${stack.urls.faults}/faults/postgres -d '{"mode":"refuse"}'   # or "hang"; "pass" puts it back

The functions reach PostgreSQL, both emulators, SMTP, the payment simulator and the SMS sink through fault proxies;
a function that dies is restarted. Scheduled functions are called every few seconds (failures in ${logDir}/scheduler.log).
Emails appear at ${stack.urls.mailWeb}. Press Ctrl-C to stop everything.
`);
ready = true;

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    removeDevStackFile();
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  });
}
