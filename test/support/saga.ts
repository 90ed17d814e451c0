import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Knex } from 'knex';
import { createDb } from '../../functions/lib/db/knex.ts';
import { parseConfig } from '../../functions/lib/config.ts';
import type { Firestore } from '@google-cloud/firestore';
import { updatedAtCommit } from '../../functions/lib/catalog.ts';
import { createFirestore, collections } from '../../functions/lib/firestore.ts';
import type { OrderView } from '../../schemas/index.ts';
import { loadOrCreateIssuerKey, signIdToken } from '../../scripts/stack/dev-issuer.ts';
import { paymentEffects } from './payments.ts';
import './stack-info.ts';

export const stack = inject('stack');

/** A name no other test or run uses. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** A valid ID token from the test stack's development issuer. */
export async function tokenFor(sub: string, options: { role?: string } = {}): Promise<string> {
  const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
  return signIdToken(key, { sub, issuer: stack.issuer, audience: stack.audience, ...options });
}

/** Calls the API through the gateway (or `base`, a function's own URL); `token` adds a bearer header, `json` sends a JSON body. */
export async function api(path: string, options: { base?: string; method?: string; token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${options.base ?? stack.api}${path}`, {
    method: options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET'),
    headers: {
      ...(options.json !== undefined || options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

let fs: Firestore | undefined;
/** A Firestore client on the test stack's emulator. */
export const firestore = () => (fs ??= createFirestore(stack.project));

let db: Knex | undefined;
/** A knex handle on the test stack's database. */
export const database = () => (db ??= createDb(parseConfig({ ...stack.directEnv, DB_POOL_MAX: '4' })));

/** Creates a product of this test with its stock; returns its id. */
export async function seedProduct(options: { price?: number; currency?: string; available: number; name?: string }): Promise<string> {
  const id = unique('t');
  await firestore().collection(collections.products).doc(id).set({
    name: options.name ?? `Test product ${id}`,
    description: 'made by a test',
    category: 'test',
    categories: ['test'],
    brand: 'Testing',
    attributes: {},
    price: { amount: options.price ?? 1000, currency: options.currency ?? 'EUR' },
    images: [],
    createdAt: new Date().toISOString(),
    updatedAt: updatedAtCommit(),
  });
  await firestore().collection(collections.stock).doc(id).set({ available: options.available, updatedAt: updatedAtCommit() });
  return id;
}

/** Units of a product available now. */
export async function stockOf(productId: string): Promise<number> {
  const snap = await firestore().collection(collections.stock).doc(productId).get();
  return (snap.data()?.available as number | undefined) ?? 0;
}

/** Polls `read` until `done` says yes, or fails after `timeoutMs` showing the last value. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

/** Waits until an order leaves PENDING and returns it. */
export async function finalOrder(id: string, token: string): Promise<OrderView> {
  const res = await eventually(() => api(`/v1/orders/${id}`, { token }), (r) => r.status === 200 && r.body?.status !== 'PENDING');
  return res.body as unknown as OrderView;
}

/** Places an order and returns its id. */
export async function placeOrder(
  token: string,
  body: { items: { productId: string; quantity: number }[]; payment?: { method: string }; contact?: { email: string; phone?: string } },
): Promise<string> {
  const res = await api('/v1/orders', {
    token,
    json: { payment: { method: 'pm_card_visa' }, contact: { email: `${unique('c')}@example.com` }, ...body },
  });
  if (res.status !== 202) throw new Error(`order not accepted: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body!.id as string;
}

/** Emails maildev caught for an address. */
export async function emailsTo(address: string): Promise<{ subject: string; text: string; messageId: string }[]> {
  const all = (await (await fetch(`${stack.mailWeb}/email`)).json()) as { to: { address: string }[]; subject: string; text: string; messageId: string }[];
  return all.filter((m) => m.to.some((t) => t.address === address));
}

/** Text messages the SMS sink recorded for a number. */
export async function smsTo(phone: string): Promise<{ body: string }[]> {
  return ((await (await fetch(`${stack.sms}/v1/messages?to=${encodeURIComponent(phone)}`)).json()) as { data: { body: string }[] }).data;
}

/** Charges the payment simulator made for an order. */
export async function chargesFor(orderId: string): Promise<{ id: string; refunded: boolean; attempts: number }[]> {
  return ((await (await fetch(`${stack.payment}/v1/charges?orderId=${orderId}`)).json()) as { data: { id: string; refunded: boolean; attempts: number }[] }).data;
}

/** Parsed JSON log lines a function wrote. */
export function logLines(fn: string): Record<string, unknown>[] {
  return readFileSync(join(stack.logDir, `${fn}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What the stack's payment simulator holds for an order, counted by effect. */
export const paymentsOf = (orderId: string) => paymentEffects(stack.payment, orderId);

/** The books of these orders, checked against the stack's provider, stock and emails as `npm run reconcile` does. */
export async function reconcileOrders(orderIds: string[]) {
  const { reconcile } = await import('../../functions/lib/reconcile.ts');
  const { createStripeProvider } = await import('../../functions/lib/payments/index.ts');
  const provider = createStripeProvider({ baseUrl: stack.payment, apiKey: 'sk_test_local', timeoutMs: 3000, attempts: 2, breaker: { consecutiveFailures: 20, halfOpenAfterMs: 1000 } });
  return reconcile({ db: database(), firestore: firestore(), provider, now: new Date(), graceSeconds: 0, orderIds });
}
