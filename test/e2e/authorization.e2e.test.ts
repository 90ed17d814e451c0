import { randomUUID } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateIssuerKey } from '../../scripts/stack/dev-issuer.ts';
import { concretePath } from '../support/paths.ts';
import { api, placeOrder, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Op {
  id: string;
  method: string;
  path: string;
  access: 'public' | 'customer' | 'admin';
  json: boolean;
  image: boolean;
}

/** The operations as the published document lists them, with who may call each (`x-access`). */
async function operationsFromDocument(): Promise<Op[]> {
  const doc = (await api('/v1/openapi.json')).body as Json;
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      access: op['x-access'],
      json: Boolean(op.requestBody?.content?.['application/json'] ?? op.requestBody?.content?.['application/merge-patch+json']),
      image: Boolean(op.requestBody?.content?.['image/png']),
    })),
  );
}

const now = () => Math.floor(Date.now() / 1000);
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** Tokens that must each be refused, signed (or not) in every wrong way. */
async function badTokens(sub: string): Promise<Record<string, string>> {
  const key = await loadOrCreateIssuerKey(stack.issuerKeyFile);
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  const sign = (claims: { iss?: string; aud?: string; exp?: number }, signer = privateKey, kid = key.kid) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(claims.iss ?? stack.issuer)
      .setAudience(claims.aud ?? stack.audience)
      .setIssuedAt(now() - 7200)
      .setExpirationTime(claims.exp ?? now() + 3600)
      .sign(signer);
  const other = await generateKeyPair('RS256');
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    expired: await sign({ exp: now() - 60 }),
    'wrong audience': await sign({ aud: 'someone-else' }),
    'wrong issuer': await sign({ iss: 'https://evil.example/issuer' }),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, iss: stack.issuer, aud: stack.audience, iat: now(), exp: now() + 3600, role: 'admin' })}.`,
    'signed by another key': await sign({}, other.privateKey),
    'another key under our kid': await sign({}, other.privateKey, key.kid),
  };
}

/** Sends a request to an operation with whatever body its kind takes. */
function call(op: Op, path: string, token?: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  if (op.image) return fetch(`${stack.api}${path}`, { method: op.method, headers: { ...headers, 'Content-Type': 'image/png' }, body: PNG });
  if (op.json) {
    const type = op.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return fetch(`${stack.api}${path}`, { method: op.method, headers: { ...headers, 'Content-Type': type, 'If-Match': 'W/"x"' }, body: '{}' });
  }
  return fetch(`${stack.api}${path}`, { method: op.method, headers });
}

let ops: Op[];
beforeAll(async () => {
  ops = await operationsFromDocument();
});

describe('authorization matrix, over every operation of the published document', () => {
  it('when the token is missing, expired, for another audience or issuer, unsigned, signed by another key or of the wrong role, then each operation refuses as its access says', async () => {
    const customer = await tokenFor(unique('cora'));
    const bad = await badTokens(unique('mallory'));
    const rows: { op: string; as: string; status: number; type: string | undefined }[] = [];
    for (const op of ops) {
      const path = concretePath(op.path);
      const record = async (as: string, token?: string) => {
        const res = await call(op, path, token);
        const body = (await res.text()) || '{}';
        rows.push({ op: op.id, as, status: res.status, type: (JSON.parse(body) as Json).type?.replace('https://saga-commerce.dev/problems/', '') });
      };
      await record('no token');
      for (const [name, token] of Object.entries(bad)) await record(name, token);
      if (op.access === 'admin') await record('customer on an admin operation', customer);
    }
    expect(ops.length).toBeGreaterThanOrEqual(18);
    for (const row of rows) {
      const op = ops.find((o) => o.id === row.op)!;
      const expected =
        row.as === 'no token' ? (op.access === 'public' ? 'not refused' : 'unauthenticated')
        : row.as === 'customer on an admin operation' ? 'forbidden'
        : 'unauthenticated';
      const got = row.status === 401 ? 'unauthenticated' : row.status === 403 ? 'forbidden' : row.status < 500 ? 'not refused' : `server error ${row.status}`;
      expect({ ...row, got }).toEqual({ ...row, got: expected, ...(expected === 'not refused' ? {} : { type: expected }) });
    }
  });
});

describe('object-level authorization', () => {
  it('when another customer asks for any operation on an id of someone else’s, then the answer is the same as for an id that does not exist', async () => {
    const owner = await tokenFor(unique('olga'));
    const stranger = await tokenFor(unique('sam'));
    const product = await seedProduct({ available: 5 });
    const orderId = await placeOrder(owner, { items: [{ productId: product, quantity: 1 }] });
    const withIds = ops.filter((op) => op.path.includes('{') && op.access !== 'public');
    expect(withIds.map((op) => op.id)).toContain('getOrder');
    for (const op of withIds) {
      const real = concretePath(op.path, { orderId, productId: product });
      const made = concretePath(op.path, { productId: unique('nope') });
      const [theirs, nobodys] = [await call(op, real, stranger), await call(op, made, stranger)];
      const shape = async (res: Response) => ({ status: res.status, type: ((await res.json()) as Json).type });
      const [a, b] = [await shape(theirs), await shape(nobodys)];
      expect({ op: op.id, ...a }).toEqual({ op: op.id, ...b });
      expect({ op: op.id, status: a.status }).toEqual({ op: op.id, status: op.access === 'admin' ? 403 : 404 });
    }
    const mine = await api('/v1/orders', { token: stranger });
    expect((mine.body!.items as unknown[]).length).toBe(0);
  });
});

describe('mass assignment', () => {
  it('when a write sends a field the client may not set (status, prices, totals, ids, owner, stock where it is not taken), then it is refused with 400 naming the field', async () => {
    const admin = await tokenFor(unique('root'), { role: 'admin' });
    const customer = await tokenFor(unique('max'));
    const product = await seedProduct({ available: 5 });
    const read = await api(`/v1/products/${product}`, { token: admin });
    const etag = read.headers.get('etag')!;
    const order = { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'max@example.com' } };
    const newProduct = { name: 'Lamp', category: 'lighting', brand: 'Lux', price: { amount: 1999, currency: 'EUR' } };
    const writes: { op: string; path: string; method: string; token: string; body: Json; forbidden: Record<string, unknown>; headers?: Record<string, string> }[] = [
      { op: 'placeOrder', path: '/v1/orders', method: 'POST', token: customer, body: order, forbidden: { status: 'CONFIRMED', total: { amount: 1, currency: 'EUR' }, id: randomUUID(), customerId: 'someone-else', createdAt: '2020-01-01T00:00:00Z' } },
      { op: 'placeOrder (line)', path: '/v1/orders', method: 'POST', token: customer, body: order, forbidden: { unitPrice: { amount: 1, currency: 'EUR' }, lineTotal: { amount: 1, currency: 'EUR' }, name: 'cheap' } },
      { op: 'createProduct', path: '/v1/products', method: 'POST', token: admin, body: newProduct, forbidden: { id: 'p-mine', status: 'archived', available: 5, images: [], createdAt: '2020-01-01T00:00:00Z' } },
      { op: 'updateProduct', path: `/v1/products/${product}`, method: 'PATCH', token: admin, body: { name: 'Renamed' }, headers: { 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' }, forbidden: { id: 'p-other', status: 'archived', stock: 100, available: 100, images: [] } },
      { op: 'adjustStock', path: `/v1/products/${product}/stock-adjustments`, method: 'POST', token: admin, body: { delta: 1, reason: 'count' }, forbidden: { available: 1000, productId: 'p-other' } },
      { op: 'reorderProductImages', path: `/v1/products/${product}/images/order`, method: 'PUT', token: admin, body: { imageIds: ['a'] }, forbidden: { imageUrls: ['https://evil.example/x.png'] } },
      { op: 'discardDeadLetter', path: `/v1/admin/dead-letters/${randomUUID()}/discard`, method: 'POST', token: admin, body: { reason: 'junk' }, forbidden: { status: 'replayed', by: 'someone-else' } },
      ...(['archive', 'restore'] as const).map((action) => ({ op: `${action}Product`, path: `/v1/products/${product}/${action}`, method: 'POST', token: admin, body: {}, forbidden: { status: 'active' } })),
      { op: 'replayDeadLetter', path: `/v1/admin/dead-letters/${randomUUID()}/replay`, method: 'POST', token: admin, body: {}, forbidden: { status: 'open' } },
      { op: 'retryOrder', path: `/v1/admin/orders/${randomUUID()}/retry`, method: 'POST', token: admin, body: {}, forbidden: { status: 'CONFIRMED' } },
      { op: 'cancelOrder', path: `/v1/admin/orders/${randomUUID()}/cancel`, method: 'POST', token: admin, body: { reason: 'fraud' }, forbidden: { status: 'CANCELLED', cancellationReason: 'timeout', moneyBack: 'none' } },
      { op: 'bulkDeadLetters', path: '/v1/admin/dead-letters/bulk', method: 'POST', token: admin, body: { action: 'replay', dryRun: true, select: {} }, forbidden: { matched: 0, items: [], totals: {} } },
    ];
    for (const write of writes) {
      for (const [field, value] of Object.entries(write.forbidden)) {
        const body = write.op === 'placeOrder (line)' ? { ...write.body, items: [{ ...write.body.items[0], [field]: value }] } : { ...write.body, [field]: value };
        const res = await api(write.path, { method: write.method, token: write.token, body: JSON.stringify(body), headers: write.headers ?? {} });
        expect({ op: write.op, field, status: res.status, type: res.body?.type }).toEqual({ op: write.op, field, status: 400, type: 'https://saga-commerce.dev/problems/validation-error' });
        expect(res.body?.errors).toContainEqual({ path: expect.stringMatching(/^body/), message: expect.stringContaining(`"${field}"`) });
      }
    }
    // Every write operation of the document is covered (an image upload takes bytes, not fields).
    const covered = new Set(writes.map((w) => w.op.split(' ')[0]));
    const writeOps = ops.filter((op) => op.method !== 'GET' && !op.image && op.method !== 'DELETE').map((op) => op.id);
    expect(writeOps.filter((id) => !covered.has(id))).toEqual([]);
    expect(await api(`/v1/products/${product}`)).toMatchObject({ status: 200, body: { name: expect.not.stringMatching(/Renamed/), available: 5 } });
    // The same change without the forbidden fields goes through, as a JSON merge patch.
    const patched = await api(`/v1/products/${product}`, { method: 'PATCH', token: admin, body: JSON.stringify({ name: 'Renamed' }), headers: { 'If-Match': etag, 'Content-Type': 'application/merge-patch+json' } });
    expect(patched).toMatchObject({ status: 200, body: { name: 'Renamed' } });
  });
});
