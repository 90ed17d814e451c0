import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadOrCreateIssuerKey, signIdToken } from './stack/dev-issuer.ts';
import { readDevStackFile } from './stack/dev-stack-file.ts';

const usage = `npm run smoke -- --url <API base URL> [--token <ID token>] [--product <id>] [--payment-method pm_card_visa] [--timeout 90]

Places one order with a test card and waits until it is CONFIRMED: against a deployment (an ID token of a test
customer from Identity Platform in --token or SMOKE_TOKEN; Stripe in test mode) or the local stack (no token needed).`;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    product: { type: 'string' },
    'payment-method': { type: 'string', default: 'pm_card_visa' },
    email: { type: 'string', default: 'smoke-test@example.com' },
    timeout: { type: 'string', default: '90' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help || !values.url) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const base = values.url!.replace(/\/$/, '');
const step = (text: string) => console.log(`… ${text}`);
const fail = (text: string): never => {
  console.error(`✗ ${text}`);
  process.exit(1);
};

/** A token for the smoke customer: given, or minted by the local development issuer. */
async function token(): Promise<string> {
  const given = values.token ?? process.env.SMOKE_TOKEN;
  if (given) return given;
  try {
    const dev = readDevStackFile();
    const key = await loadOrCreateIssuerKey(dev.issuerKeyFile);
    return await signIdToken(key, { sub: 'smoke-test', issuer: dev.issuer, audience: dev.audience, expiresIn: '10m' });
  } catch {
    return fail('no token: pass --token (an Identity Platform ID token of a test customer) or set SMOKE_TOKEN');
  }
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(15_000) }).catch((err: Error) =>
    fail(`${base}${path} did not answer (${err.message}); is the URL right and the deployment up?`),
  );
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

const bearer = await token();
let productId = values.product;
if (!productId) {
  step('finding a product in stock');
  const found = await call('/v1/products?inStock=true&limit=1');
  productId = ((found.body.items as { id: string }[] | undefined) ?? [])[0]?.id;
  if (found.status !== 200 || !productId) fail(`GET /v1/products answered ${found.status} without a product in stock: ${JSON.stringify(found.body)}`);
}
step(`placing an order for ${productId} with ${values['payment-method']}`);
const placed = await call('/v1/orders', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}`, 'Idempotency-Key': randomUUID() },
  body: JSON.stringify({ items: [{ productId, quantity: 1 }], payment: { method: values['payment-method'] }, contact: { email: values.email } }),
});
if (placed.status !== 202) fail(`POST /v1/orders answered ${placed.status}: ${JSON.stringify(placed.body)}`);
const id = placed.body.id as string;
const started = Date.now();
const deadline = started + Number(values.timeout) * 1000;
let status = 'PENDING';
while (status === 'PENDING' || status === 'NEEDS_ATTENTION') {
  if (Date.now() > deadline) fail(`order ${id} is still ${status} after ${values.timeout} s; look at its history (GET /v1/orders/${id}) and the functions' logs`);
  await new Promise((r) => setTimeout(r, 1000));
  const order = await call(`/v1/orders/${id}`, { headers: { Authorization: `Bearer ${bearer}` } });
  if (order.status !== 200) fail(`GET /v1/orders/${id} answered ${order.status}: ${JSON.stringify(order.body)}`);
  if (order.body.status !== status) step(`order ${id} is ${order.body.status}`);
  status = order.body.status as string;
  if (status === 'CANCELLED') fail(`order ${id} was cancelled (${order.body.cancellationReason}); the saga works but this card or product did not`);
}
console.log(`✓ order ${id} CONFIRMED in ${((Date.now() - started) / 1000).toFixed(1)} s`);
