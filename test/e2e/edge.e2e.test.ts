import { describe, expect, it } from 'vitest';
import { functionNames, functions, operationIds, operations, type FunctionName, type Operation } from '../../schemas/index.ts';
import { concretePath } from '../support/paths.ts';
import { api, eventually, logLines, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';
import { rawRequest } from '../support/raw-http.ts';

const PROBLEM = 'application/problem+json';
const httpFunctions = functionNames.filter((fn) => functions[fn].trigger === 'http' || functions[fn].trigger === 'schedule');
const eventFunctions = functionNames.filter((fn) => !httpFunctions.includes(fn));
const apiFunctions = functionNames.filter((fn) => operationIds.some((id) => operations[id].fn === fn));

/** A concrete path of an operation, with made-up ids. */
const pathOf = (op: Operation) => concretePath(op.path);

/** An operation of the function that takes a JSON body, if it has one. */
const jsonOperationOf = (fn: FunctionName) => operationIds.map((id) => operations[id] as Operation).find((op) => op.fn === fn && op.body?.kind === 'json');

describe('every HTTP function, called directly with no gateway in front', () => {
  it('when the body is not JSON, the route unknown or the type wrong, then the function itself answers problem+json', async () => {
    const admin = await tokenFor(unique('root'), { role: 'admin' });
    for (const fn of httpFunctions) {
      const url = stack.functionUrls[fn];
      const op = jsonOperationOf(fn);
      const target = op ? { method: op.method, path: pathOf(op) } : { method: 'POST', path: '/' };
      const malformed = await fetch(`${url}${target.path}`, { method: target.method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin}` }, body: '{"items": [' });
      expect({ fn, status: malformed.status, type: malformed.headers.get('content-type')?.split(';')[0] }).toEqual({ fn, status: 400, type: PROBLEM });
      expect(await malformed.json()).toMatchObject({ type: 'https://saga-commerce.dev/problems/malformed-request', detail: expect.stringContaining('not valid JSON') });
      if (functions[fn].trigger === 'schedule') continue;
      const unknown = await fetch(`${url}/v1/no-such-thing`, { headers: { Authorization: `Bearer ${admin}` } });
      expect({ fn, status: unknown.status, type: unknown.headers.get('content-type')?.split(';')[0] }).toEqual({ fn, status: 404, type: PROBLEM });
      if (!op) continue;
      const text = await fetch(`${url}${pathOf(op)}`, { method: op.method, headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${admin}` }, body: 'hello' });
      expect({ fn, status: text.status, type: text.headers.get('content-type')?.split(';')[0] }).toEqual({ fn, status: 415, type: PROBLEM });
    }
  });

  it('when a push to an event function is not JSON, then it too answers problem+json (Pub/Sub retries, then dead-letters it)', async () => {
    for (const fn of eventFunctions) {
      const res = await fetch(`${stack.functionUrls[fn]}/projects/${stack.project}/topics/order.placed`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"message": {' });
      expect({ fn, status: res.status, type: res.headers.get('content-type')?.split(';')[0] }).toEqual({ fn, status: 400, type: PROBLEM });
    }
  });

  it('when a request carries an X-Request-Id, then every log line of that request carries it', async () => {
    const token = await tokenFor(unique('traced'));
    const requestId = `trace-${unique('order')}`;
    const product = await seedProduct({ available: 3 });
    const placed = await api('/v1/orders', { token, headers: { 'X-Request-Id': requestId }, json: { items: [{ productId: product, quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'traced@example.com' } } });
    expect(placed.headers.get('x-request-id')).toBe(requestId);
    const lines = await eventually(async () => logLines('orders-api').filter((l) => l.requestId === requestId), (found) => found.some((l) => l.message === 'order placed'));
    expect(lines.every((l) => l.requestId === requestId && typeof l.caller === 'string')).toBe(true);
  });

  it('when a body is larger than the operation takes, then it is refused with 413 before it is read or the caller checked', async () => {
    for (const fn of apiFunctions) {
      const op = jsonOperationOf(fn)!;
      // 40 MB promised, no token, and not a byte of it sent: only an answer given before reading can arrive.
      const answer = await rawRequest(stack.functionUrls[fn], { method: op.method, path: pathOf(op), headers: { 'Content-Type': 'application/json', 'Content-Length': String(40 * 1024 * 1024) } });
      expect({ fn, status: answer.status, type: answer.headers['content-type']?.split(';')[0] }).toEqual({ fn, status: 413, type: PROBLEM });
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'https://saga-commerce.dev/problems/payload-too-large', detail: expect.stringContaining(`at most ${(op.body as { maxBytes: number }).maxBytes} bytes`) });
    }
  });

  it('when a body comes chunked, without a length, then it is refused with 411 before it is read', async () => {
    const answer = await rawRequest(stack.functionUrls['orders-api'], { method: 'POST', path: '/v1/orders', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, '5\r\n{"ite\r\n');
    expect(answer.status).toBe(411);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'https://saga-commerce.dev/problems/length-required' });
  });

  it('when a body is exactly as large as the operation takes, then it is read (and judged on its content), one byte more is 413', async () => {
    const token = await tokenFor(unique('lena'));
    const max = operations.placeOrder.body.maxBytes;
    const padded = (size: number) => {
      const base = JSON.stringify({ items: [{ productId: 'p-00001', quantity: 1 }], payment: { method: 'pm_card_visa' }, contact: { email: 'lena@example.com' }, pad: '' });
      return base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
    };
    expect(Buffer.byteLength(padded(max))).toBe(max);
    const atLimit = await api('/v1/orders', { token, body: padded(max) });
    expect(atLimit).toMatchObject({ status: 400, body: { errors: [{ path: 'body', message: expect.stringContaining('pad') }] } });
    const over = await api('/v1/orders', { token, body: padded(max + 1) });
    expect(over).toMatchObject({ status: 413, body: { type: 'https://saga-commerce.dev/problems/payload-too-large' } });
  });
});

describe('headers on every answer', () => {
  it('when anything is asked, then the answer carries a request id (the caller’s, if sensible), security headers and rate-limit headers', async () => {
    const mine = await api('/v1/products?limit=1', { headers: { 'X-Request-Id': 'trace-me-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-me-123');
    const generated = await api('/v1/products?limit=1', { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await api('/v1/orders');
    for (const res of [mine, problem]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    expect(mine.headers.get('ratelimit-policy')).toMatch(/^"read-(caller|ip)";q=\d+;w=60$/);
    expect(mine.headers.get('ratelimit')).toMatch(/^"read-(caller|ip)";r=\d+;t=\d+$/);
  });

  it('when a browser on an allowed origin asks, then CORS lets it read the answer; another origin gets no CORS headers', async () => {
    const preflight = await api('/v1/orders', { method: 'OPTIONS', headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,idempotency-key' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const read = await api('/v1/products?limit=1', { headers: { Origin: 'https://shop.example' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(read.headers.get('access-control-expose-headers')).toContain('RateLimit');
    const stranger = await api('/v1/products?limit=1', { headers: { Origin: 'https://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the published contract', () => {
  it('when a client asks for /v1/openapi.json and /docs, then it gets the OpenAPI 3.1 document (its server: the host it came from) and a reference page whose assets are served here', async () => {
    const doc = await api('/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/' }] });
    const ids = Object.values(doc.body!.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ids.sort()).toEqual([...operationIds].sort());
    const page = await fetch(`${stack.api}/docs`);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    const assets = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) expect({ asset, status: (await fetch(`${stack.api}${asset}`)).status }).toEqual({ asset, status: 200 });
    expect(html).not.toMatch(/https?:\/\//);
  });
});
