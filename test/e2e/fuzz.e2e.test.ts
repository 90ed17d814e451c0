import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operations, PROBLEM_BASE, type OperationId, type Operation } from '../../schemas/index.ts';
import { deref, invalid, valid, type Hints } from '../support/fuzz.ts';
import { api, finalOrder, placeOrder, seedProduct, stack, tokenFor, unique } from '../support/saga.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1b2e4cd0000000049454e44ae426082',
  'hex',
);
/** Runs per operation: each a request with valid or invalid inputs, as one of four callers. */
const RUNS_PER_OPERATION = 40;

describe('fuzzing every operation of the published document', () => {
  it('when any caller sends generated valid and invalid inputs, then there is never a 5xx, every error is problem+json, every success matches its schema, and no customer touches another’s data', async () => {
    const doc = (await api('/v1/openapi.json')).body as Json;
    const victimToken = await tokenFor(unique('victim'));
    const product = await seedProduct({ available: 1000, price: 500 });
    const victimOrder = await placeOrder(victimToken, { items: [{ productId: product, quantity: 1 }] });
    await finalOrder(victimOrder, victimToken);
    const victimBefore = { order: (await api(`/v1/orders/${victimOrder}`, { token: victimToken })).body, list: (await api('/v1/orders', { token: victimToken })).body };
    const ownProduct = await seedProduct({ available: 50, price: 700 });

    const callers = {
      anonymous: undefined,
      customer: await tokenFor(unique('fuzzer')),
      other: await tokenFor(unique('fuzzer')),
      admin: await tokenFor(unique('fuzz-admin'), { role: 'admin' }),
    };
    // Ids that exist: the victim's order is tried by everyone; admins only ever change the fuzz's own product.
    const hints = (caller: keyof typeof callers): Hints => ({
      orderId: [victimOrder, randomUUID()],
      productId: caller === 'admin' ? [ownProduct] : [product, ownProduct, 'p-00001'],
      deadLetterId: [randomUUID()],
      imageId: ['img-1'],
      method: ['pm_card_visa', 'pm_card_chargeDeclined'],
      currency: ['EUR'],
    });

    const created: string[] = [];
    let requests = 0;
    const statuses = new Map<number, number>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, spec] of Object.entries(item as Json)) {
        const id = spec.operationId as OperationId;
        const op: Operation = operations[id];
        const params = (spec.parameters ?? []) as Json[];
        const media = Object.keys(spec.requestBody?.content ?? {})[0];
        const bodySchema = media ? spec.requestBody.content[media].schema : undefined;
        const request = fc
          .record({
            // Mostly callers the operation lets in, so inputs get past the front door; the others check the refusals.
            caller: fc.constantFrom<keyof typeof callers>(...(op.access === 'admin' ? (['admin', 'admin', 'admin', 'customer', 'anonymous'] as const) : (['customer', 'customer', 'other', 'admin', 'anonymous'] as const))),
            validity: fc.constantFrom('valid', 'valid', 'invalid'),
          })
          .chain(({ caller, validity }) => {
            const h = hints(caller);
            const value = (schema: Json | undefined, name: string) => (validity === 'valid' ? valid(schema, doc, h, name) : fc.oneof(valid(schema, doc, h, name), invalid(schema, doc, h)));
            const param = (p: Json) => value(deref(p.schema, doc), p.name).map((v) => [p.name, p.in, v] as const);
            const optional = (p: Json) => (p.required ? param(p) : fc.option(param(p), { nil: undefined }));
            return fc.record({
              caller: fc.constant(caller),
              params: fc.tuple(...params.map(optional)),
              body: !media ? fc.constant(undefined) : media.startsWith('image/') ? fc.oneof(fc.constant(PNG), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))) : value(bodySchema, ''),
            });
          });

        await fc.assert(
          fc.asyncProperty(request, async ({ caller, params, body }) => {
            let url = path;
            const query = new URLSearchParams();
            const headers: Record<string, string> = {};
            for (const entry of params) {
              if (!entry) continue;
              const [name, where, v] = entry;
              const text = typeof v === 'string' ? v : JSON.stringify(v);
              // An empty segment would make it another operation's path (`/v1/products/` lists products).
              if (where === 'path') url = url.replace(`{${name}}`, encodeURIComponent(text) || '-');
              else if (where === 'query') query.set(name, text);
              else if (where === 'header') headers[name] = text.replace(/[^\x20-\x7e]/g, '');
            }
            url = url.replace(/\{(\w+)\}/g, () => randomUUID());
            const token = callers[caller];
            if (token) headers.Authorization = `Bearer ${token}`;
            if (media && body !== undefined) headers['Content-Type'] = media;
            const res = await fetch(`${stack.api}${url}${query.size ? `?${query}` : ''}`, {
              method: method.toUpperCase(),
              headers,
              body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
            });
            requests++;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const text = await res.text();
            const where = `${method.toUpperCase()} ${url} as ${caller}: ${res.status} ${text.slice(0, 300)}`;
            expect(res.status, where).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.headers.get('content-type'), where).toContain('application/problem+json');
              expect((JSON.parse(text) as Json).type, where).toMatch(new RegExp(`^${PROBLEM_BASE}`));
              return;
            }
            if (id === 'createProduct') created.push(JSON.parse(text).id as string);
            const answer = op.responses[res.status as keyof typeof op.responses];
            expect(answer, `${where}: status not in the document`).toBeDefined();
            if (answer?.schema) {
              const parsed = answer.schema.safeParse(JSON.parse(text));
              expect(parsed.success, `${where}: ${parsed.error?.message}`).toBe(true);
            }
          }),
          { numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        );
      }
    }

    // Products the fuzz created are archived, so shoppers (and later tests) never meet them.
    for (const productId of created) await api(`/v1/products/${productId}/archive`, { method: 'POST', token: callers.admin });
    const victimAfter = { order: (await api(`/v1/orders/${victimOrder}`, { token: victimToken })).body, list: (await api('/v1/orders', { token: victimToken })).body };
    expect(victimAfter).toEqual(victimBefore);
    console.log(`[fuzz] ${requests} requests over ${Object.keys(operations).length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    expect(requests).toBe(RUNS_PER_OPERATION * Object.keys(operations).length);
    // The inputs reached the handlers, not only the front door: successes and refusals of content both happened.
    expect([...statuses].filter(([status]) => status < 300).reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(20);
  });
});
